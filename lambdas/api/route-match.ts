// Matches a method and path against route templates the way API Gateway HTTP APIs do: exact
// paths first, then templates with {param} segments and a trailing {proxy+} greedy segment.
import { BadRequestError } from '../core/errors';
import type { AnyRoute } from './route';

interface Compiled {
  route: AnyRoute;
  pattern: RegExp;
  names: string[];
  isStatic: boolean;
}

export interface RouteMatch {
  route: AnyRoute;
  pathParameters: Record<string, string>;
}

function compile(route: AnyRoute): Compiled {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const greedy = /^\{([A-Za-z0-9_]+)\+\}$/.exec(segment);
      if (greedy) {
        names.push(greedy[1]!);
        return '(.+)';
      }
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (param) {
        names.push(param[1]!);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, isStatic: names.length === 0 };
}

/** Percent-decodes one path parameter; a malformed escape such as `%zz` is the caller's 400. */
function decodeParameter(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    const shown = raw.length > 64 ? `${raw.slice(0, 64)}...` : raw;
    throw new BadRequestError(`path field '${name}': malformed percent-encoding in '${shown}'`);
  }
}

export class RouteMatcher {
  private readonly compiled: Compiled[];

  constructor(routes: AnyRoute[]) {
    // Static routes win over templates, as in API Gateway.
    this.compiled = routes.map(compile).sort((a, b) => Number(b.isStatic) - Number(a.isStatic));
  }

  /**
   * The route for a request, with its decoded path parameters; a parameter that does not decode
   * throws BadRequestError.
   */
  match(method: string, path: string): RouteMatch | undefined {
    for (const candidate of this.compiled) {
      if (candidate.route.method !== method) continue;
      const m = candidate.pattern.exec(path);
      if (!m) continue;
      const pathParameters: Record<string, string> = {};
      candidate.names.forEach((name, i) => {
        pathParameters[name] = decodeParameter(name, m[i + 1]!);
      });
      return { route: candidate.route, pathParameters };
    }
    return undefined;
  }
}
