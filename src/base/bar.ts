/** A text progress bar, shared by workflow views and Slack's home tab (which must not load the workflow engine). */

/** A text bar of `width` cells: how much of a host's plan is done. */
export function progressBar(done: number, total: number, width = 10): string {
  const full = total === 0 ? width : Math.round((done / total) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}
