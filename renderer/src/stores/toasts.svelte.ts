// Short notices in a corner (fills, copies). Announced politely to screen readers by the Toasts component.

export type ToastTone = 'info' | 'gain' | 'loss' | 'warn';

export interface Toast {
  id: number;
  text: string;
  tone: ToastTone;
}

class Toasts {
  items = $state.raw<Toast[]>([]);
  #next = 1;

  push(text: string, tone: ToastTone = 'info', ttlMs = 7000): number {
    const id = this.#next++;
    this.items = [...this.items.slice(-4), { id, text, tone }];
    if (ttlMs > 0) setTimeout(() => this.dismiss(id), ttlMs);
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
