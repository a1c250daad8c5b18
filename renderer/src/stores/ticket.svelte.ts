// The order ticket's fields, kept while the user visits other views (the ticket component is re-created).

import { defaultTicket, type TicketFields } from '../lib/ticket';

class TicketState {
  fields = $state<TicketFields>(defaultTicket(null));
  /** the instrument the stop and target defaults came from */
  symbol = $state<string | null>(null);
}

export const ticketState = new TicketState();
