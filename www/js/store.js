// Keeps bytes (the lab's weights) in this browser's IndexedDB, so they survive a reload.
const DB = "transfer-lab";
const STORE = "files";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transaction(mode, act) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Stores `bytes` (a Uint8Array) under `key`. */
export const save = (key, bytes) => transaction("readwrite", (s) => s.put(bytes, key));
/** The Uint8Array stored under `key`, or undefined. */
export const load = (key) => transaction("readonly", (s) => s.get(key));
