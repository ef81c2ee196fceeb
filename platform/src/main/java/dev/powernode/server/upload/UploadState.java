package dev.powernode.server.upload;

import dev.powernode.server.publication.DiskImagePublication;

/** Where an upload stands: its publication and how many bytes have arrived. */
public record UploadState(DiskImagePublication publication, long receivedBytes) {}
