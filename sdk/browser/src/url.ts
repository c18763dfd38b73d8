// URL hygiene: query strings and fragments often carry personal data (tokens, e-mail
// addresses), so they are dropped from every URL the SDK sends unless the site opts in.

/** Returns `href` without its query string and fragment, or unchanged when `keep`. */
export function stripUrl(href: string, keep?: boolean): string {
  return keep ? href : href.split(/[?#]/)[0];
}
