package dev.powernode.common.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The identity slot as the build kit really writes it (buildkit/lib/disk.sh's build_disk, with
 * sgdisk and mtools), read back by mtools and checked by qemu-img: the raw disk streamed with an
 * identity, the compressed qcow2 read through {@link Qcow2Reader}, and an overlay that QEMU's own
 * tools accept and read as the patched disk.
 */
class DiskPersonalisationTest {
    static final Path KIT = Path.of("..", "buildkit").toAbsolutePath().normalize();
    static final String IDENTITY =
            "device_id=0b7f2a3e-0000-4000-8000-000000000001\nnode_name=rack1-n1\ntoken=pnn_secret\n";

    @TempDir
    static Path dir;

    static Path raw;
    static Path qcow2;

    @BeforeAll
    static void buildDisk() throws Exception {
        raw = dir.resolve("disk.img");
        qcow2 = dir.resolve("base.qcow2");
        Files.writeString(dir.resolve("uki.efi"), "MZ not really a UKI");
        run(
                "bash",
                "-c",
                "set -e; source \"$KIT/lib/common.sh\"; source \"$KIT/lib/disk.sh\"; WORK_DIR=\"$DIR/work\";"
                        + " mkdir -p \"$WORK_DIR\"; BUILD_EPOCH=1700000000;"
                        + " build_disk \"$DIR/disk.img\" \"$DIR/uki.efi\" BOOTX64.EFI 64 8");
        run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", raw.toString(), qcow2.toString());
    }

    @Test
    void theRawDiskStreamsWithTheIdentityInItsSlotAndNothingElseChanged() throws Exception {
        IdentitySlot slot = IdentitySlot.locate(DiskReader.of(raw));
        Path out = dir.resolve("node.img");
        try (OutputStream o = new PatchingOutputStream(Files.newOutputStream(out), slot.fill(IDENTITY))) {
            byte[] all = Files.readAllBytes(raw);
            // odd-sized writes, so patches straddle write boundaries
            for (int at = 0; at < all.length; at += 7777) {
                o.write(all, at, Math.min(7777, all.length - at));
            }
        }
        String cfg = mtype(out);
        assertThat(cfg).startsWith(IDENTITY);
        assertThat(cfg.substring(IDENTITY.length())).matches("\n*");
        assertThat(cfg).hasSize(IdentitySlot.SIZE);
        assertThat(differingBytes(raw, out)).isLessThanOrEqualTo(IDENTITY.length());
        assertThat(mtype(raw)).startsWith(IdentitySlot.MARKER + "\n");

        assertThatThrownBy(() -> IdentitySlot.locate(DiskReader.of(out)))
                .isInstanceOf(DiskFormatException.class)
                .hasMessageContaining("already written");
    }

    @Test
    void theQcow2ReadsAsTheRawDiskItWasMadeFrom() throws Exception {
        Qcow2Reader q = new Qcow2Reader(DiskReader.of(qcow2));
        assertThat(q.size()).isEqualTo(Files.size(raw));
        byte[] all = Files.readAllBytes(raw);
        int step = 1 << 20;
        for (long at = 0; at < all.length; at += step) {
            int n = (int) Math.min(step, all.length - at);
            assertThat(q.read(at, n)).as("bytes at %d", at).isEqualTo(Arrays.copyOfRange(all, (int) at, (int) at + n));
        }
        assertThat(IdentitySlot.locate(q)).isEqualTo(IdentitySlot.locate(DiskReader.of(raw)));
    }

    @Test
    void theOverlayIsAValidQcow2ThatReadsAsThePatchedDisk() throws Exception {
        Qcow2Reader base = new Qcow2Reader(DiskReader.of(qcow2));
        List<Patch> patches = IdentitySlot.locate(base).fill(IDENTITY);
        Path overlay = dir.resolve("node.qcow2");
        Files.write(overlay, Qcow2Overlay.write(base, "base.qcow2", patches));
        assertThat(Files.size(overlay)).isLessThan(1 << 20);

        assertThat(run("qemu-img", "check", overlay.toString())).contains("No errors were found");
        assertThat(run("qemu-img", "info", "--output=json", overlay.toString()))
                .contains("\"backing-filename\": \"base.qcow2\"")
                .contains("\"backing-filename-format\": \"qcow2\"");
        Path flat = dir.resolve("node-flat.img");
        run("qemu-img", "convert", "-O", "raw", overlay.toString(), flat.toString());
        Path expected = dir.resolve("expected.img");
        try (OutputStream o = new PatchingOutputStream(Files.newOutputStream(expected), patches)) {
            Files.copy(raw, o);
        }
        assertThat(differingBytes(expected, flat)).isZero();
        assertThat(mtype(flat)).startsWith(IDENTITY);
    }

    @Test
    void whatIsNotABuiltDiskIsRefusedWithTheReason() throws Exception {
        Path junk = dir.resolve("junk.img");
        Files.write(junk, new byte[1 << 20]);
        assertThatThrownBy(() -> IdentitySlot.locate(DiskReader.of(junk)))
                .isInstanceOf(DiskFormatException.class)
                .hasMessageContaining("no GPT header");
        assertThatThrownBy(() -> new Qcow2Reader(DiskReader.of(raw)))
                .isInstanceOf(DiskFormatException.class)
                .hasMessageContaining("not a qcow2");

        IdentitySlot slot = IdentitySlot.locate(DiskReader.of(raw));
        assertThatThrownBy(() -> slot.fill("x=" + "y".repeat(IdentitySlot.SIZE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slot holds 4096");
        assertThatThrownBy(() -> slot.fill("name=n\u00e9\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ASCII");
    }

    static String mtype(Path disk) throws Exception {
        return run("bash", "-c", "MTOOLS_SKIP_CHECK=1 mtype -i \"" + disk + "@@1048576\" ::/identity.cfg");
    }

    static long differingBytes(Path a, Path b) throws IOException {
        byte[] x = Files.readAllBytes(a);
        byte[] y = Files.readAllBytes(b);
        assertThat(y).hasSameSizeAs(x);
        long n = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] != y[i]) {
                n++;
            }
        }
        return n;
    }

    static String run(String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true);
        pb.environment().put("KIT", KIT.toString());
        pb.environment().put("DIR", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }
}
