/**
 * Personalising a published disk without storing it twice: {@link dev.powernode.common.disk.IdentitySlot}
 * finds where a built disk keeps identity.cfg, {@link dev.powernode.common.disk.PatchingOutputStream}
 * writes a node's identity there while a raw disk streams, {@link dev.powernode.common.disk.Qcow2Reader}
 * and {@link dev.powernode.common.disk.Qcow2Overlay} do the same for a qcow2 as a small overlay.
 */
package dev.powernode.common.disk;
