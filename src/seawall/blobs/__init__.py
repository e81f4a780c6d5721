"""Blob primitives below both `image/` (which finds an image's blobs) and `fs/` (which reads layers as file trees):
where a layer's bytes are (`LayerFile`), byte ranges of local archives and layouts (`local`), digest-checking
readers and compression magic (`readers`)."""
