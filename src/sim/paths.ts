/** URL roots (MAAS `maasserver/djangosettings/settings.py` `API_URL_PREFIX`). */
export const API = '/MAAS/api/2.0/';
export const ORIGIN = 'http://maas.sim:5240';
export const BASE_URL = `${ORIGIN}/MAAS`;
/** A stable value for `X-MAAS-API-Hash` (real MAAS hashes its API description). */
export const API_HASH = 'f3b9a2e1c0d4b5a6978877665544332211009988';
