#!/usr/bin/perl
# For bench/webhook-load.sh: the intake statement of platform/.../ingest/PublicationIntake.java as a
# pgbench script, each run with fresh ids, digest and delivery id (a first CTE makes them once per
# run), and the bench's webhook, platform and worker-less announcement otherwise.
# usage: perl bench/intake-statement.pl PublicationIntake.java IngestTask.java WEBHOOK_ID > intake.sql
use strict;
use warnings;

my ($source, $task_source, $webhook) = @ARGV;
die "usage: $0 PublicationIntake.java IngestTask.java WEBHOOK_ID\n" unless $webhook && $webhook =~ /^[0-9a-f-]{36}$/;
local $/;
open(my $f, '<', $source) or die "$source: $!\n";
my ($statement) = <$f> =~ /STATEMENT = """\n(.*?)""";/s or die "$source: no STATEMENT text block\n";
open(my $t, '<', $task_source) or die "$task_source: $!\n";
my ($task) = <$t> =~ /TASK = "([^"]+)"/ or die "$task_source: no TASK\n";
$statement =~ s/--[^\n]*//g;

my %value = (
    platformId => 'cast(null as uuid)', slug => q('bench'), webhookId => "'$webhook'::uuid",
    workerId => 'cast(null as uuid)', webhookLabel => q('bench'), family => q('uefi_disk'), arch => q('amd64'),
    firmwareRef => 'null', gitSha => q('0123456789abcdef0123456789abcdef01234567'),
    sha256 => q(repeat('ab', 32)), size => '1024', runId => q('bench-run'), buildTime => 'now()', at => 'now()',
    actor => q('webhook/bench'), reason => q('pgbench of the intake statement'), task => "'$task'",
    requested => "'$webhook'", body => q(repeat('x', 120)),
    # fresh per run
    id => '(select id from x)', digest => '(select digest from x)', ociRef => '(select oci_ref from x)',
    deliveryId => '(select delivery from x)', rowId => '(select row_id from x)',
    signature => '(select signature from x)', bodySha256 => '(select body_sha from x)',
);
$statement =~ s/(?<!:):([A-Za-z]\w*)/exists $value{$1} ? $value{$1} : die "unknown parameter :$1\n"/ge;
my $x = q{x as materialized (
    select gen_random_uuid() as id, d as digest, '127.0.0.1:5999/bench@' || d as oci_ref,
        gen_random_uuid()::text as delivery, gen_random_uuid() as row_id,
        encode(sha256(gen_random_uuid()::text::bytea), 'hex') as signature,
        encode(sha256(gen_random_uuid()::text::bytea), 'hex') as body_sha
    from (select 'sha256:' || encode(sha256(gen_random_uuid()::text::bytea), 'hex') as d) dd
), };
$statement =~ s/^\s*with /with $x/ or die "$source: the statement does not start with WITH\n";
$statement =~ s/\s+/ /g;
print "$statement;\n";
