// Child process for journal lock tests. Usage:
//   journal-child.ts hold <dir>   open the journal, print "held", append one entry, then wait to be killed
//   journal-child.ts try <dir>    try to open, print {"ok":true} or {"ok":false,"name","message"} and exit
import { Journal } from '../../../main/localnet/journal';

const [mode, dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: journal-child.ts hold|try <dir>');
if (mode === 'hold') {
  const j = await Journal.open(dir);
  await j.append({ from: 'child', pid: process.pid });
  process.stdout.write('held\n');
  setInterval(() => undefined, 1 << 30);
} else {
  try {
    const j = await Journal.open(dir);
    await j.close();
    process.stdout.write(JSON.stringify({ ok: true }) + '\n');
  } catch (err) {
    const e = err as Error;
    process.stdout.write(JSON.stringify({ ok: false, name: e.name, message: e.message }) + '\n');
  }
}
