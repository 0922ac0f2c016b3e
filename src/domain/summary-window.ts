// A window of time a summary covers: what GET /payments-summary asks, and what the payments table answers.

export interface SummaryWindow {
  from: Date | null;
  to: Date | null;
  /**
   * Count only payments whose processor's answer reached us at or before this: when the summary was asked.
   * The processors count what they stored before they were asked, so two reads that arrive together see the
   * same payments, however long ours takes to gather the rows. Unset: everything.
   */
  asOf?: Date | null;
}
