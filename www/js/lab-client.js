// The page's side of the training worker: every Lab call as a Promise, progress as a callback.
export class LabClient {
  constructor(url) {
    this.worker = new Worker(url, { type: "module" });
    this.pending = new Map();
    this.nextId = 1;
    this.worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      if ("progress" in data) {
        call.onProgress?.(data.progress);
        return;
      }
      this.pending.delete(data.id);
      if ("error" in data) call.reject(new Error(data.error));
      else call.resolve(data.result);
    };
    this.worker.onerror = (event) => {
      const error = new Error(event.message || "the training worker failed to start");
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
  }

  /** Calls `method` of the worker's Lab with `args`; resolves with its result. */
  call(method, args = [], onProgress = null) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, method, args });
    });
  }

  /** Asks the running call to stop; it resolves soon with `cancelled: true`. */
  cancel() {
    this.worker.postMessage({ method: "cancel" });
  }
}
