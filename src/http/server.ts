// The HTTP front end on uWebSockets.js. It follows uWS' rules (docs/stack-facts.md):
// onAborted before any deferred answer, request data read synchronously, every
// later answer inside res.cork, status before headers before end.
import { timingSafeEqual } from 'node:crypto';
import { chmodSync } from 'node:fs';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { ApiError } from './errors';
import { open, sendError } from './exchange';
import {
  ROUTES,
  type AdminCheck,
  type Handler,
  type HttpServerOptions,
  type HttpServices,
  type Route,
  type RunningHttpServer,
} from './http-api';
import { routeHandlers } from './routes';
import { loadUws } from './uws';

/** Whether an Authorization header carries the admin token (always, when no token is set). */
function adminCheck(token: string): AdminCheck {
  if (!token) return () => true;
  const expected = Buffer.from(`Bearer ${token}`);
  return (authorization) => {
    const given = Buffer.from(authorization);
    // Compared in constant time, so the answer's timing does not tell how much of a guess was right.
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}

export function startHttpServer(services: HttpServices, options: HttpServerOptions): Promise<RunningHttpServer> {
  const uws = loadUws();
  const app: TemplatedApp = uws.App();
  const live = { n: 0 };

  const authorized = adminCheck(options.adminToken);
  const handlers = routeHandlers(services, options, live, authorized);
  const refuse = (res: HttpResponse) =>
    sendError(open(res, live), new ApiError('UNAUTHORIZED'), { 'www-authenticate': 'Bearer' });
  const guarded =
    (handler: Handler): Handler =>
    (res, req) =>
      authorized(req.getHeader('authorization')) ? handler(res, req) : refuse(res);
  // Each route twice: as itself, and under /instances/<id> (how Nginx addresses one instance by name).
  const instancePrefix = `/instances/${options.instanceId}`;
  for (const [path, route] of Object.entries(ROUTES) as [keyof typeof ROUTES, Route][]) {
    const handler = handlers[path];
    app[route.method](path, route.access === 'admin' ? guarded(handler) : handler);
    app[route.method](instancePrefix + path, route.access === 'anyone' ? handler : guarded(handler));
  }

  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    let url = req.getUrl();
    if (url.startsWith(`${instancePrefix}/`)) {
      if (!authorized(req.getHeader('authorization'))) return refuse(res);
      url = url.slice(instancePrefix.length);
    }
    const ex = open(res, live);
    const route = ROUTES[url as keyof typeof ROUTES] as Route | undefined;
    if (route) sendError(ex, new ApiError('METHOD_NOT_ALLOWED'), { allow: route.method.toUpperCase() });
    else sendError(ex, new ApiError('NOT_FOUND'));
  });

  return new Promise((resolve, reject) => {
    const listening = (socket: us_listen_socket | false) => {
      if (!socket)
        return reject(
          new Error(
            options.socketPath ? `cannot listen on ${options.socketPath}` : `cannot listen on port ${options.port}`,
          ),
        );
      // Nginx workers may run as another user: let them connect to the socket.
      if (options.socketPath) chmodSync(options.socketPath, 0o666);
      resolve({
        port: options.socketPath ? 0 : uws.us_socket_local_port(socket),
        inProgress: () => live.n,
        close: () => uws.us_listen_socket_close(socket),
      });
    };
    if (options.socketPath) app.listen_unix(listening, options.socketPath);
    else app.listen('0.0.0.0', options.port, listening);
  });
}
