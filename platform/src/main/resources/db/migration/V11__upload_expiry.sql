-- The sweep for abandoned direct uploads looks for awaiting_upload rows idle since a cutoff
-- (updated_at moves whenever bytes arrive).
create index disk_image_publication_awaiting_upload_idle
    on disk_image_publication (updated_at) where status = 'awaiting_upload';
