// Runs in the sandboxed preload (bundled to one CommonJS file). It exposes window.coinpit with exactly the
// contract's methods and a filtered `on`; ipcRenderer itself never reaches the page.
import { contextBridge, ipcRenderer } from 'electron';
import { createCoinpitApi } from './api';

contextBridge.exposeInMainWorld('coinpit', createCoinpitApi(ipcRenderer));
