/** The one fetch signature everything takes injected (MAAS, Slack): the platform's own, undici's, or a test double. */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;
