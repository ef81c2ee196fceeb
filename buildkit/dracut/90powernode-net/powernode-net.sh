#!/bin/sh
# Netboot (the iPXE family): fetches the node's image file named on the kernel command line,
#   powernode.netboot=<http(s) URL>  powernode.netboot.sha256=<64 hex>  powernode.netboot.size=<bytes>
# into RAM (refused up front when the RAM cannot hold it and the system), checks its sha256 before
# anything mounts it, and attaches it as a read-only loop
# device. The file is an ext4 (LABEL=powernode-net) holding what persist holds on a disk: the
# composefs metadata image (powernode/images/<digest>.cfs, which powernode-root.sh checks against
# powernode.image=sha256:…) and its fs-verity-sealed objects. sysroot.mount (root=LABEL=powernode-net)
# then mounts it read-only and powernode-root.sh runs the system live.
set -u
RUN=/run/powernode/net
# what the running system needs besides the image file (the demo boots in 1 GiB with a 241 MiB image)
MARGIN_KIB=$((256 * 1024))
NETWAIT="${POWERNODE_NET_WAIT:-120}"

say() { echo "powernode: $*" >/dev/console; echo "powernode: $*"; }
fail() {
    say "POWERNODE-BOOT-FAILED: $*"
    say "the node cannot netboot this image; halting (the console keeps this message)"
    exit 1
}

url="" sha="" size=""
read -r cmdline </proc/cmdline
set -f # the command line's words are not file patterns
for arg in $cmdline; do
    case "$arg" in
        powernode.netboot=*) url="${arg#powernode.netboot=}" ;;
        powernode.netboot.sha256=*) sha="${arg#powernode.netboot.sha256=}" ;;
        powernode.netboot.size=*) size="${arg#powernode.netboot.size=}" ;;
    esac
done
set +f
case "$url" in
    http://?*|https://?*) ;;
    "") fail "powernode.netboot= is empty (the iPXE script needs powernode-url: the URL its files are served from)" ;;
    *) fail "powernode.netboot must be an http:// or https:// URL, not '$url' (set powernode-url in iPXE to the URL the files are served from)" ;;
esac
case "$sha" in
    "") fail "no powernode.netboot.sha256=<hex> on the kernel command line" ;;
    *[!0-9a-f]*) fail "powernode.netboot.sha256 is not a lowercase sha256: $sha" ;;
esac
[ "${#sha}" -eq 64 ] || fail "powernode.netboot.sha256 is not a sha256 (64 hex digits): $sha"
case "$size" in
    "" | *[!0-9]*) fail "no powernode.netboot.size=<bytes> on the kernel command line" ;;
esac
# the file lives in RAM (tmpfs pages cannot be reclaimed): refuse now rather than meet the OOM killer
avail_kib="$(sed -n 's/^MemAvailable: *\([0-9]*\) kB$/\1/p' /proc/meminfo)"
need_kib=$((size / 1024 + MARGIN_KIB))
[ "${avail_kib:-0}" -ge "$need_kib" ] ||
    fail "not enough RAM to netboot: the image is $((size / 1048576)) MiB, the system needs $((MARGIN_KIB / 1024)) MiB more, $((${avail_kib:-0} / 1024)) MiB are available"
# ${cwduri} may end in a slash: collapse doubled slashes in the path (not the scheme's, not in a query)
scheme="${url%%://*}"
rest="${url#*://}"
query=""
case "$rest" in *\?*) query="?${rest#*\?}"; rest="${rest%%\?*}" ;; esac
url="$scheme://$(printf '%s' "$rest" | sed 's#//*#/#g')$query"

say "netboot: waiting for the network (DHCP, up to $NETWAIT s)"
/usr/lib/systemd/systemd-networkd-wait-online --any --ipv4 --timeout="$NETWAIT" ||
    fail "no network: no interface got an IPv4 address by DHCP within $NETWAIT s"

# a host name in the URL: the initramfs has no resolver service; use the DNS servers DHCP gave
if [ ! -s /etc/resolv.conf ]; then
    for lease in /run/systemd/netif/leases/*; do
        [ -f "$lease" ] || continue
        sed -n 's/^DNS=//p' "$lease" | tr ' ' '\n' | sed -n 's/^\(..*\)$/nameserver \1/p'
    done >/etc/resolv.conf
fi

# a tmpfs of its own: /run is capped at a fraction of RAM
mkdir -p "$RUN"
mount -t tmpfs -o "mode=0700,size=$((size / 1024 + 1024))k" powernode-net "$RUN" || fail "cannot mount a tmpfs for the image"
file="$RUN/image.ext4"
say "netboot: fetching $url"
t0="$(date +%s)"
n=0
while :; do
    n=$((n + 1))
    # --speed-limit/--speed-time: a stalled transfer (under 1 KiB/s for 60 s) is abandoned
    if curl --fail --location --silent --show-error --connect-timeout 20 --speed-limit 1024 --speed-time 60 \
        --max-filesize "$size" --output "$file" "$url"; then
        break
    fi
    [ "$n" -lt 3 ] || fail "cannot fetch $url (3 attempts; curl's reason above)"
    say "netboot: attempt $n failed, retrying in $((n * 5)) s"
    sleep $((n * 5))
done
got="$(stat -c %s "$file")"
secs=$(($(date +%s) - t0))
[ "$got" = "$size" ] || fail "the fetched image is $got bytes, the command line says $size; refusing it"
say "netboot: fetched $((got / 1048576)) MiB in $secs s; checking its sha256"
actual="$(sha256sum "$file" | { read -r d _; echo "$d"; })"
if [ "$actual" != "$sha" ]; then
    rm -f "$file"
    fail "the fetched image is corrupt or tampered: its sha256 is $actual, the command line says $sha; refusing to mount it"
fi
loop="$(losetup --read-only --find --show "$file")" || fail "cannot attach a loop device to the fetched image"
say "netboot: image sha256:$sha verified, on $loop (read-only; the system runs live)"
