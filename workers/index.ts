// Placeholder entry until the worker lands (issue 4): every route answers 404 in the error format.
export default {
  async fetch(): Promise<Response> {
    return Response.json({ error: { code: 'ERR_ROUTE_NOT_FOUND', message: 'no such route' } }, { status: 404 });
  },
};
