import { benchEngine, workload } from './engine';
const ops = workload(60000);
console.log(JSON.stringify(benchEngine(ops, 10000)));
