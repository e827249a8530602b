// Ferry's REST API (docs/API.md) as the console calls it: same-origin fetch with the bearer token the user signed in
// with. An error answer becomes an ApiError carrying the google.rpc status and the field violations.

export class ApiError extends Error {
  constructor(httpStatus, status, message, violations) {
    super(message);
    this.httpStatus = httpStatus;
    this.status = status;
    this.violations = violations;
  }
}

export const PERMISSIONS = [
  'metastore.services.get', 'metastore.migrations.list', 'metastore.migrations.get', 'metastore.operations.list',
  'metastore.migrations.start', 'metastore.migrations.complete', 'metastore.migrations.cancel', 'metastore.migrations.delete', 'metastore.tokens.manage',
];

const LIVE_STATES = ['STARTING', 'RUNNING', 'AWAITING_USER_ACTION', 'CANCELLING'];
export const TERMINAL_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export class Api {
  constructor(token) {
    this.token = token;
    this.service = null;
  }

  async call(method, path, body) {
    const headers = { Authorization: 'Bearer ' + this.token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, 'UNAVAILABLE', 'Ferry cannot be reached: ' + e.message, []);
    }
    const text = await response.text();
    let json = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch (e) {
      throw new ApiError(response.status, 'UNKNOWN', 'Ferry answered with something that is not JSON (HTTP ' + response.status + ')', []);
    }
    if (!response.ok) {
      const error = json.error || {};
      const violations = [];
      for (const detail of error.details || []) {
        for (const violation of detail.fieldViolations || []) violations.push(violation);
      }
      throw new ApiError(response.status, error.status || 'HTTP ' + response.status, error.message || text, violations);
    }
    return json;
  }

  /** Finds the service this Ferry runs (services.list across projects and locations) and what the token may do. */
  async connect() {
    const list = await this.call('GET', '/v1/projects/-/locations/-/services');
    if (!list.services || list.services.length === 0) throw new ApiError(404, 'NOT_FOUND', 'Ferry lists no service', []);
    this.service = list.services[0];
    const tested = await this.call('POST', '/v1/' + this.service.name + ':testIamPermissions', { permissions: PERMISSIONS });
    this.permissions = new Set(tested.permissions || []);
    return this.service;
  }

  may(permission) {
    return this.permissions.has('metastore.' + permission);
  }

  get location() {
    return this.service.name.substring(0, this.service.name.indexOf('/services/'));
  }

  getService() {
    return this.call('GET', '/v1/' + this.service.name);
  }

  executions(state) {
    const filter = state ? '&filter=' + encodeURIComponent('state = "' + state + '"') : '';
    return this.call('GET', '/v1/' + this.service.name + '/migrationExecutions?orderBy=' + encodeURIComponent('createTime desc') + filter);
  }

  async liveExecution() {
    const filter = LIVE_STATES.map((state) => 'state = "' + state + '"').join(' OR ');
    const page = await this.call('GET', '/v1/' + this.service.name + '/migrationExecutions?pageSize=1&orderBy=' + encodeURIComponent('createTime desc')
        + '&filter=' + encodeURIComponent(filter));
    return (page.migrationExecutions || [])[0] || null;
  }

  executionName(id) {
    return this.service.name + '/migrationExecutions/' + id;
  }

  execution(id) {
    return this.call('GET', '/v1/' + this.executionName(id));
  }

  lagHistory(id) {
    return this.call('GET', '/v1/' + this.executionName(id) + '/lagHistory');
  }

  /** The operations between an execution's start and end: one migration runs at a time, so they are its own. */
  operations(execution) {
    let filter = 'createTime >= "' + execution.createTime + '"';
    if (execution.endTime) filter += ' AND createTime <= "' + execution.endTime + '"';
    return this.call('GET', '/v1/' + this.location + '/operations?orderBy=createTime&filter=' + encodeURIComponent(filter));
  }

  operation(name) {
    return this.call('GET', '/v1/' + name);
  }

  start(body) {
    return this.call('POST', '/v1/' + this.service.name + ':startMigration', body);
  }

  complete() {
    return this.call('POST', '/v1/' + this.service.name + ':completeMigration', { requestId: uuid() });
  }

  cancel() {
    return this.call('POST', '/v1/' + this.service.name + ':cancelMigration', { requestId: uuid() });
  }

  remove(id) {
    return this.call('DELETE', '/v1/' + this.executionName(id) + '?requestId=' + uuid());
  }
}

/** A random UUID; crypto.randomUUID exists only in secure contexts, and Ferry may be served over plain HTTP. */
export function uuid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
}

export function isLive(execution) {
  return LIVE_STATES.includes(execution.state);
}
