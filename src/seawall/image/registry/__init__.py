"""OCI distribution registries: the HTTP client (`client`), token auth (`auth`), rate limits and backoff
(`ratelimit`), pulling an image as an `ImageSource` (`source`) and pushing blobs, manifests and images (`push`)."""
