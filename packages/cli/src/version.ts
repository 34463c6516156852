/** The version of the pixgrad packages this command line belongs to. */
export const VERSION = '0.1.0';
