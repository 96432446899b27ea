// Small formatting helpers shared by the upload and submission pages.

export function formatPixels(width, height) {
  const mp = (width * height) / 1e6;
  return `${width}×${height} (${mp < 10 ? mp.toFixed(1) : Math.round(mp)} MP)`;
}

export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return "—";
  const seconds = ms / 1000;
  if (seconds < 1) return "under a second";
  if (seconds < 60) return `about ${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `about ${Math.round(minutes)} min`;
  return `about ${(minutes / 60).toFixed(1)} h`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
