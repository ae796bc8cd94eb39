export interface ServerLimits {
  /** The whole header block must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /**
   * The whole request, body included; and the most a response may wait for its client to take its
   * bytes (a client that sends requests and never reads the answers).
   */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the timeouts above are checked (Node's default, 30 s, would let them overrun by that much). */
  checkIntervalMs: number;
  /** Header bytes per request; more is a 431. */
  maxHeaderBytes: number;
  /** A socket on which nothing moves for this long is destroyed, whatever it is doing. */
  socketIdleTimeoutMs: number;
  /** After the server answers an error of its own, or a request whose body it will not read, the client has this long to read it. */
  errorCloseGraceMs: number;
  /** Requests one connection may have received and not yet been answered (pipelined); one more destroys the socket. */
  maxPipelinedRequests: number;
}

/**
 * Deliberate server limits (README → Security), the same for every HTTP listener the product opens
 * (the API, its METRICS_PORT, the worker's WORKER_PORT): a slow, bloated or greedy client cannot hold
 * a socket for long nor make the server buffer without bound.
 */
export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  socketIdleTimeoutMs: 30_000,
  errorCloseGraceMs: 1_000,
  maxPipelinedRequests: 8,
};
