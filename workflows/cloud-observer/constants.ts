/** How long one observing activity polls for an expected change before it reports back anyway. */
export const OBSERVE_MAX_SECONDS = 60;
