package dev.powernode.server.provision;

import dev.powernode.server.shared.Arch;

/**
 * The libvirt domain of a node made from a qcow2 template: UEFI firmware (libvirt picks OVMF or
 * AAVMF), the node's overlay as a virtio disk backed by the published qcow2 in the same directory,
 * virtio networking on libvirt's default network, and the serial console (the image logs there).
 * Every value is a name or number the template and provisioning validated; nothing needs escaping
 * but is escaped anyway.
 */
final class LibvirtDomain {
    private LibvirtDomain() {}

    static String xml(String name, Arch arch, int memoryMib, int vcpus, String dir, String overlay, String base) {
        boolean arm = arch == Arch.ARM64;
        return """
                <domain type='kvm'>
                  <name>%s</name>
                  <memory unit='MiB'>%d</memory>
                  <vcpu>%d</vcpu>
                  <os firmware='efi'>
                    <type arch='%s' machine='%s'>hvm</type>
                  </os>
                  <features>
                    <acpi/>%s
                  </features>
                  <cpu mode='host-passthrough'/>
                  <devices>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='qcow2'/>
                      <source file='%s/%s'/>
                      <backingStore type='file'>
                        <format type='qcow2'/>
                        <source file='%s/%s'/>
                      </backingStore>
                      <target dev='vda' bus='virtio'/>
                    </disk>
                    <interface type='network'>
                      <source network='default'/>
                      <model type='virtio'/>
                    </interface>
                    <serial type='pty'/>
                    <console type='pty'/>
                    <rng model='virtio'>
                      <backend model='random'>/dev/urandom</backend>
                    </rng>
                  </devices>
                </domain>
                """.formatted(
                        esc(name),
                        memoryMib,
                        vcpus,
                        arm ? "aarch64" : "x86_64",
                        arm ? "virt" : "q35",
                        arm ? "\n    <gic version='3'/>" : "",
                        esc(dir),
                        esc(overlay),
                        esc(dir),
                        esc(base));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;");
    }
}
