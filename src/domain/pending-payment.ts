// A payment from the moment it is accepted until it is recorded: what Redis holds for it, what the actors hand
// each other, and, once sent, where it went (its assignment).
import type { PaymentRequest, ProcessorName } from './payment';

export interface PendingPayment extends PaymentRequest {
  acceptedAt: number;
  /**
   * Set at its first claim, unique to this acceptance: a claim tried again carries it, a re-post of the same
   * id does not. How the claim script tells the two apart.
   */
  claim?: string;
  /** Set once the payment has been sent to a processor: from then on it belongs to that processor. */
  assignment?: { processor: ProcessorName; requestedAt: string };
}
