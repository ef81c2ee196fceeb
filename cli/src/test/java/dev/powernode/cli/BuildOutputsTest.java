package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** build.sh's manifest.json turned into one artifact per platform family. */
class BuildOutputsTest {
    static final String SHA = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path dir;

    /** Writes the files and a manifest.json the way build.sh's write_manifest does. */
    void build(String arch, String... nameAndKitFamily) throws Exception {
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < nameAndKitFamily.length; i += 2) {
            String name = nameAndKitFamily[i];
            byte[] content = (name + " contents").getBytes(StandardCharsets.UTF_8);
            Files.write(dir.resolve(name), content);
            entries.add("{\"name\":\"%s\",\"sha256\":\"%s\",\"size\":%d,\"family\":\"%s\",\"arch\":\"%s\"}"
                    .formatted(name, sha256(content), content.length, nameAndKitFamily[i + 1], arch));
        }
        Files.writeString(
                dir.resolve("manifest.json"),
                "{\"build_id\":\"0123456789ab-1700000000\",\"arch\":\"%s\",\"git_sha\":\"%s\",\"outputs\":[%s]}"
                        .formatted(arch, SHA, String.join(",", entries)));
    }

    void fullBuild() throws Exception {
        build(
                "amd64",
                "kernel",
                "kernel-initrd",
                "initramfs.cpio.zst",
                "kernel-initrd",
                "powernode-amd64.efi",
                "uki",
                "powernode-amd64.img",
                "disk-image-uefi",
                "powernode-amd64.qcow2",
                "qcow2",
                "powernode-amd64.iso",
                "iso",
                "powernode-amd64.ipxe",
                "ipxe",
                "powernode-amd64.oci.tar",
                "oci",
                "powernode-amd64.composefs.erofs",
                "composefs-style");
    }

    static List<String> names(BuildOutputs.Family f) {
        return f.files().stream().map(BuildOutputs.Output::name).toList();
    }

    @Test
    void aFullBuildPublishesTheSixPlatformFamiliesPrimaryFileFirst() throws Exception {
        fullBuild();

        BuildOutputs b = BuildOutputs.read(dir, Set.of());

        assertThat(b.arch()).isEqualTo("amd64");
        assertThat(b.gitSha()).isEqualTo(SHA);
        assertThat(b.families())
                .extracting(BuildOutputs.Family::family)
                .containsExactlyElementsOf(BuildOutputs.FAMILY_ORDER);
        assertThat(names(b.families().get(0))).containsExactly("powernode-amd64.img");
        assertThat(names(family(b, "kernel_initramfs"))).containsExactly("kernel", "initramfs.cpio.zst");
        assertThat(names(family(b, "ipxe")))
                .containsExactly("powernode-amd64.ipxe", "powernode-amd64.efi", "kernel", "initramfs.cpio.zst");
        assertThat(names(family(b, "oci"))).containsExactly("powernode-amd64.oci.tar");
        assertThat(family(b, "uefi_disk").primary().sha256())
                .isEqualTo(sha256("powernode-amd64.img contents".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aRealSystemsKernelFamilyCarriesTheComposefsImageAndObjects() throws Exception {
        // build.sh --build-script: the composefs blob is part of kernel_initramfs (the spec's
        // "kernel + initramfs + composefs blob"); the fixture's composefs-style blob is not
        build(
                "amd64",
                "kernel",
                "kernel-initrd",
                "initramfs.cpio.zst",
                "kernel-initrd",
                "powernode-amd64.efi",
                "uki",
                "powernode-amd64.img",
                "disk-image-uefi",
                "powernode-amd64.composefs.erofs",
                "kernel-initrd",
                "powernode-amd64.composefs-objects.tar",
                "kernel-initrd");

        BuildOutputs b = BuildOutputs.read(dir, Set.of());

        assertThat(names(family(b, "kernel_initramfs")))
                .containsExactly(
                        "kernel",
                        "initramfs.cpio.zst",
                        "powernode-amd64.composefs.erofs",
                        "powernode-amd64.composefs-objects.tar");
        // the disk carries what its node agent installs as an update, after the disk itself
        assertThat(names(family(b, "uefi_disk")))
                .containsExactly(
                        "powernode-amd64.img",
                        "powernode-amd64.efi",
                        "powernode-amd64.composefs.erofs",
                        "powernode-amd64.composefs-objects.tar");
    }

    @Test
    void aRealSystemsDiskWithoutItsUkiIsRefusedRatherThanPublishedUnupdatable() throws Exception {
        build(
                "amd64",
                "powernode-amd64.img",
                "disk-image-uefi",
                "powernode-amd64.composefs.erofs",
                "kernel-initrd",
                "powernode-amd64.composefs-objects.tar",
                "kernel-initrd");

        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of("uefi_disk")))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("no powernode-amd64.efi: a node could not update to it");
    }

    @Test
    void theBuildTimeAndTheUkiStubComeFromTheManifest() throws Exception {
        build("amd64", "powernode-amd64.img", "disk-image-uefi");
        Path manifest = dir.resolve("manifest.json");
        Files.writeString(
                manifest,
                Files.readString(manifest)
                        .replace(
                                "\"outputs\"",
                                "\"source_date_epoch\":1795915800,\"firmware_ref\":\"systemd-boot-efi/257/linuxx64.efi.stub"
                                        + "@sha256:" + "ab".repeat(32) + "\",\"outputs\""));

        BuildOutputs b = BuildOutputs.read(dir, Set.of());

        assertThat(b.builtAt()).isEqualTo(java.time.Instant.parse("2026-11-29T01:30:00Z"));
        assertThat(b.firmwareRef()).startsWith("systemd-boot-efi/257/linuxx64.efi.stub@sha256:");
        assertThat(BuildOutputs.bootsThroughUki(family(b, "uefi_disk"))).isTrue();
    }

    @Test
    void aRealSystemsNetbootIsItsScriptKernelInitramfsAndImageWithoutTheUki() throws Exception {
        // build.sh --build-script --family kernel,img,ipxe: the netboot boots the kernel with its own
        // initramfs (which fetches the netboot image) on EFI and BIOS alike, never the UKI
        build(
                "amd64",
                "kernel",
                "kernel-initrd",
                "initramfs.cpio.zst",
                "kernel-initrd",
                "powernode-amd64.efi",
                "uki",
                "powernode-amd64.img",
                "disk-image-uefi",
                "powernode-amd64.ipxe",
                "ipxe",
                "initramfs-net.cpio.zst",
                "ipxe",
                "powernode-amd64.netboot.ext4",
                "ipxe");

        BuildOutputs b = BuildOutputs.read(dir, Set.of());

        assertThat(names(family(b, "ipxe")))
                .containsExactly(
                        "powernode-amd64.ipxe", "initramfs-net.cpio.zst", "powernode-amd64.netboot.ext4", "kernel");
        assertThat(BuildOutputs.bootsThroughUki(family(b, "ipxe"))).isFalse();
        assertThat(BuildOutputs.bootsThroughUki(family(b, "kernel_initramfs"))).isFalse();
        assertThat(BuildOutputs.bootsThroughUki(family(b, "uefi_disk"))).isTrue();
    }

    @Test
    void theFixturesIpxeChainsTheUkiAndAnIpxeOnlyBuildPublishesNoKernelFamily() throws Exception {
        fullBuild();
        BuildOutputs full = BuildOutputs.read(dir, Set.of());
        assertThat(BuildOutputs.bootsThroughUki(family(full, "ipxe"))).isTrue();

        // --family ipxe of a real system: the kernel stays for the netboot, the disk's initramfs
        // does not, so there is no kernel_initramfs to publish
        build(
                "amd64",
                "kernel",
                "kernel-initrd",
                "powernode-amd64.ipxe",
                "ipxe",
                "initramfs-net.cpio.zst",
                "ipxe",
                "powernode-amd64.netboot.ext4",
                "ipxe");
        BuildOutputs b = BuildOutputs.read(dir, Set.of());
        assertThat(b.families()).extracting(BuildOutputs.Family::family).containsExactly("ipxe");
        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of("kernel_initramfs")))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("this build has no kernel_initramfs output");
    }

    @Test
    void aManifestWithoutBuildTimeOrStubHasNeither() throws Exception {
        build("amd64", "powernode-amd64.img", "disk-image-uefi");

        BuildOutputs b = BuildOutputs.read(dir, Set.of());

        assertThat(b.builtAt()).isNull();
        assertThat(b.firmwareRef()).isNull();
    }

    @Test
    void familiesTheBuildDidNotProduceAreSkipped() throws Exception {
        build(
                "arm64",
                "kernel",
                "kernel-initrd",
                "initramfs.cpio.zst",
                "kernel-initrd",
                "powernode-arm64.img",
                "disk-image-uefi");

        BuildOutputs b = BuildOutputs.read(dir, Set.of());

        assertThat(b.families())
                .extracting(BuildOutputs.Family::family)
                .containsExactly("uefi_disk", "kernel_initramfs");
        assertThat(b.arch()).isEqualTo("arm64");
    }

    @Test
    void onlyRestrictsTheFamilies() throws Exception {
        fullBuild();
        assertThat(BuildOutputs.read(dir, Set.of("qcow2", "iso")).families())
                .extracting(BuildOutputs.Family::family)
                .containsExactly("iso", "qcow2");
    }

    @Test
    void askingForAFamilyTheBuildLacksIsAUsageError() throws Exception {
        build("amd64", "powernode-amd64.img", "disk-image-uefi");
        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of("iso")))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("no iso output");
        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of("floppy")))
                .hasMessageContaining("unknown family floppy");
    }

    @Test
    void aFileThatChangedSizeSinceTheBuildIsRefused() throws Exception {
        fullBuild();
        Files.writeString(dir.resolve("powernode-amd64.iso"), "truncated");
        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("powernode-amd64.iso has 9 bytes");
    }

    @Test
    void aMissingFileIsRefused() throws Exception {
        fullBuild();
        Files.delete(dir.resolve("kernel"));
        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of())).hasMessageContaining("cannot be read");
    }

    @Test
    void aMissingManifestSaysToRunTheBuildFirst() {
        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("run buildkit/build.sh");
    }

    @Test
    void anOutputNameThatLeavesTheDirectoryIsRefused() throws Exception {
        Files.writeString(
                dir.resolve("manifest.json"),
                "{\"build_id\":\"b\",\"arch\":\"amd64\",\"git_sha\":\"%s\",\"outputs\":[{\"name\":\"../etc/passwd\",\"sha256\":\"%s\",\"size\":1,\"family\":\"iso\"}]}"
                        .formatted(SHA, "0".repeat(64)));
        assertThatThrownBy(() -> BuildOutputs.read(dir, Set.of())).hasMessageContaining("must be a file name");
    }

    @Test
    void tagsNameArchFamilyAndBuild() throws Exception {
        fullBuild();
        BuildOutputs b = BuildOutputs.read(dir, Set.of());
        assertThat(b.tag(null, "uefi_disk")).isEqualTo("amd64-uefi_disk-0123456789ab-1700000000");
        assertThat(b.tag("v1.2+rc", "iso")).isEqualTo("v1.2_rc-iso");
    }

    @Test
    void publishRefusesBothABuildDirAndFiles() throws Exception {
        fullBuild();
        Run r = run(
                "publish",
                "--platform",
                "p",
                "--registry",
                "127.0.0.1:1/r",
                "--sign-key",
                "k",
                "--webhook-url",
                "http://127.0.0.1:1/",
                "--build-dir",
                dir.toString(),
                dir.resolve("kernel").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("either --build-dir or FILES");
    }

    @Test
    void publishWithFilesStillNeedsOneFamilyAnArchAndASha() throws Exception {
        fullBuild();
        String[] base = {
            "publish",
            "--platform",
            "p",
            "--registry",
            "127.0.0.1:1/r",
            "--sign-key",
            "k",
            "--webhook-url",
            "http://127.0.0.1:1/"
        };
        assertThat(run(concat(base, dir.resolve("kernel").toString())).err()).contains("exactly one --family");
        assertThat(run(concat(base, "--family", "iso", dir.resolve("kernel").toString()))
                        .err())
                .contains("need --arch and --git-sha");
        assertThat(run(base).err()).contains("nothing to publish");
    }

    record Run(int exit, String err) {}

    static Run run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(PowernodeCli.execute(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static BuildOutputs.Family family(BuildOutputs b, String name) {
        return b.families().stream()
                .filter(f -> f.family().equals(name))
                .findFirst()
                .orElseThrow();
    }

    static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }
}
