// The one place the release tool reads its environment.
export interface ReleaseEnv {
  /** Reproducible-builds convention: seconds since the epoch to stamp into a bundle instead of the commit time. */
  readonly SOURCE_DATE_EPOCH: string | undefined;
}

export function readReleaseEnv(): ReleaseEnv {
  return Object.freeze({ SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH });
}
