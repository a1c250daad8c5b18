import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync, tick } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import OrderTicket from '../../../renderer/src/components/trade/OrderTicket.svelte';
import { session } from '../../../renderer/src/stores/session.svelte';
import { ui } from '../../../renderer/src/stores/ui.svelte';
import { fail, fakeApi, installFake, ok, type FakeApi } from './fake-api';
import { order, SYMBOL } from './fixtures';
import { CONNECTED, connectedStores } from './setup-stores';

let fake: FakeApi;

beforeEach(() => {
  fake = fakeApi({ ordersCreate: (req) => ok((req as { orders: { price?: number }[] }).orders.map((o) => order({ price: o.price ?? null }))) });
  installFake(fake);
  connectedStores();
});

async function type(label: string | RegExp, value: string): Promise<void> {
  const input = screen.getByLabelText(label) as HTMLInputElement;
  await fireEvent.input(input, { target: { value } });
}

describe('OrderTicket', () => {
  it('shows margin, commission and loss at stop before submit', async () => {
    render(OrderTicket);
    await type('Quantity', '10');
    await type('Limit price', '10000');
    await type('Stop distance', '5');
    await type('Target distance', '3');
    expect(screen.getByTestId('preview-margin').textContent).toBe('7,150 sat');
    expect(screen.getByTestId('preview-commission').textContent).toBe('5,000 sat');
    expect(screen.getByTestId('preview-loss').textContent).toBe('−17,004 sat');
  });

  it('an invalid price shows the field error, marks the field and sends nothing', async () => {
    render(OrderTicket);
    await type('Limit price', '10000.05');
    await fireEvent.click(screen.getByTestId('ticket-submit'));
    await tick();
    const input = screen.getByLabelText('Limit price');
    expect(screen.getByTestId('field-error-price').textContent).toBe('Limit price must be a multiple of the tick 0.1.');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe('ticket-price-error');
    expect(document.activeElement).toBe(input);
    expect(fake.callsTo('ordersCreate')).toHaveLength(0);
  });

  it('places a bracketed limit buy with the fields as typed', async () => {
    render(OrderTicket);
    await type('Quantity', '3');
    await type('Limit price', '9990.5');
    await fireEvent.click(screen.getByTestId('ticket-submit'));
    await tick();
    await tick();
    const [req] = fake.callsTo('ordersCreate') as { orders: Record<string, unknown>[] }[];
    expect(req?.orders[0]).toMatchObject({ instrument: SYMBOL, side: 'buy', quantity: 3, orderType: 'LMT', price: 9990.5, stopPrice: 2, targetPrice: 3, crossMargin: false });
    expect(typeof req?.orders[0]?.clientid).toBe('string');
    expect(await screen.findByText('Buy 3 limit at 9990.5 placed.')).toBeTruthy();
  });

  it('puts an exchange error under the field it names, in words', async () => {
    fake.reply('ordersCreate', fail('SERVER', 'stopPrice 1.7 should be at least 1.8'));
    render(OrderTicket);
    await type('Limit price', '10000');
    await fireEvent.click(screen.getByTestId('ticket-submit'));
    expect((await screen.findByTestId('field-error-stop')).textContent).toBe('stopPrice 1.7 should be at least 1.8');
  });

  it('the sell shortcut places a sell; a book click fills the price; read-only blocks orders', async () => {
    render(OrderTicket);
    ui.pickPrice(10001.5);
    flushSync();
    expect((screen.getByLabelText('Limit price') as HTMLInputElement).value).toBe('10001.5');
    ui.requestSubmit('sell');
    flushSync();
    await tick();
    await tick();
    expect((fake.callsTo('ordersCreate')[0] as { orders: { side: string; price: number }[] }).orders[0]).toMatchObject({ side: 'sell', price: 10001.5 });

    session.connection = { ...CONNECTED, readonly: true };
    flushSync();
    expect((screen.getByTestId('ticket-submit') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('Trading is paused: the exchange is read-only.')).toBeTruthy();
  });

  it('keeps what was typed when the user visits another view and comes back', async () => {
    const first = render(OrderTicket);
    await type('Quantity', '7');
    await type('Limit price', '9999.5');
    first.unmount();
    render(OrderTicket);
    expect((screen.getByLabelText('Quantity') as HTMLInputElement).value).toBe('7');
    expect((screen.getByLabelText('Limit price') as HTMLInputElement).value).toBe('9999.5');
  });

  it('a shortcut request made before the ticket existed is not submitted when it appears', async () => {
    ui.requestSubmit('buy');
    render(OrderTicket);
    flushSync();
    await tick();
    expect(fake.callsTo('ordersCreate')).toHaveLength(0);
  });

  it('market orders hide the price field', async () => {
    render(OrderTicket);
    await fireEvent.click(screen.getByLabelText(/MKT/));
    expect(screen.queryByLabelText('Limit price')).toBeNull();
  });
});
