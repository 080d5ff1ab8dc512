// Keeps static libraries non-empty while an area has no sources yet.
