// Ferry's web console: sign in with an API token, the service, Migrate Data (create, list, details with progress and
// the lag chart, complete, cancel, delete). A client of the REST API only; what the token's role may not do is not
// offered (the API refuses it anyway). The token lives in this tab's sessionStorage and nowhere else.

import { Api, ApiError, TERMINAL_STATES, isLive, uuid } from './api.js';
import { formatMillis, lagChart } from './chart.js';

const TOKEN_KEY = 'ferry.token';
const POLL_MILLIS = 2000;
const CONNECTION = 'migrationExecution.cloudSqlMigrationConfig.cloudSqlConnectionConfig.';
const CDC = 'migrationExecution.cloudSqlMigrationConfig.cdcConfig.';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const announcer = document.getElementById('announcer');
let api = null;
let poller = null;

// ---- DOM helpers: text always goes in as text, never as markup ----

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.substring(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return element;
}

function number(value) {
  return Number(value || 0).toLocaleString('en-US');
}

function time(value) {
  return value ? value.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC') : '–';
}

function shortId(name) {
  return name.substring(name.lastIndexOf('/') + 1);
}

function badge(state) {
  return h('span', { class: 'badge badge-' + state.toLowerCase(), 'data-state': state }, state);
}

function announce(text) {
  announcer.textContent = text;
}

function show(title, ...content) {
  stopPolling();
  document.title = title + ' · Ferry';
  main.replaceChildren(...content);
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

function errorBox(error) {
  const text = error instanceof ApiError ? `${error.message} (${error.status})` : String(error.message || error);
  return h('div', { class: 'error', role: 'alert' }, text);
}

function stopPolling() {
  if (poller) clearInterval(poller);
  poller = null;
}

function poll(refresh) {
  stopPolling();
  poller = setInterval(() => refresh().catch((error) => console.warn('refresh failed', error)), POLL_MILLIS);
}

// ---- sign in ----

function signInView(message) {
  nav.replaceChildren();
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'token-hint' });
  const failure = h('p', { id: 'sign-in-error', class: 'field-error', role: 'alert' }, message || '');
  const form = h('form', { id: 'sign-in', class: 'card narrow' },
      h('h1', {}, 'Sign in to Ferry'),
      h('label', { for: 'token' }, 'API token'),
      input,
      h('p', { id: 'token-hint', class: 'hint' },
          'The first start of Ferry wrote an admin token to data/admin-token; ', h('code', {}, 'ferry tokens create'),
          ' makes tokens for other people and roles. The token is kept in this browser tab only.'),
      failure,
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      failure.textContent = 'Enter an API token.';
      return;
    }
    try {
      const candidate = new Api(token);
      await candidate.connect();
      sessionStorage.setItem(TOKEN_KEY, token);
      api = candidate;
      renderNav();
      location.hash = '#/';
      route();
    } catch (error) {
      failure.textContent = error instanceof ApiError && error.httpStatus === 401 ? 'Ferry does not know this token, or it was revoked.' : errorBox(error).textContent;
    }
  });
  show('Sign in', form);
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  api = null;
  location.hash = '#/';
  signInView('Signed out.');
}

function roleName() {
  if (api.may('tokens.manage')) return 'admin';
  if (api.may('migrations.delete')) return 'editor';
  if (api.may('migrations.start')) return 'migration admin';
  return 'viewer';
}

function renderNav() {
  nav.replaceChildren(
      h('a', { href: '#/', id: 'nav-service' }, 'Service'),
      h('a', { href: '#/migrations', id: 'nav-migrations' }, 'Migrate Data'),
      h('span', { class: 'nav-spacer' }),
      h('span', { class: 'role', id: 'role' }, 'Signed in: ' + roleName()),
      h('button', { type: 'button', id: 'sign-out', onclick: signOut }, 'Sign out'));
}

// ---- service ----

async function serviceView() {
  const [service, live] = await Promise.all([api.getService(), api.liveExecution()]);
  const activeMigration = live
    ? h('p', {}, h('a', { href: '#/migrations/' + shortId(live.name), id: 'active-migration' }, 'Migration ' + shortId(live.name)), ' ', badge(live.state),
        ` phase ${live.phase}` + (live.replication && live.replication.stage ? `, stage ${live.replication.stage}` : ''))
    : h('p', { id: 'active-migration' }, 'None. ', api.may('migrations.start') ? h('a', { href: '#/migrations/new' }, 'Create a migration') : '');
  show('Service',
      h('h1', {}, 'Service ', h('span', { class: 'resource' }, shortId(service.name))),
      h('section', { class: 'card', 'aria-labelledby': 'service-heading' },
          h('h2', { id: 'service-heading' }, 'Details'),
          h('dl', { class: 'facts' },
              h('dt', {}, 'State'), h('dd', { id: 'service-state' }, badge(service.state), service.stateMessage ? ' ' + service.stateMessage : ''),
              h('dt', {}, 'Name'), h('dd', {}, service.name),
              h('dt', {}, 'Endpoint'), h('dd', { id: 'service-endpoint' }, h('code', {}, service.endpointUri)),
              h('dt', {}, 'Hive Metastore version'), h('dd', {}, service.hiveMetastoreConfig ? service.hiveMetastoreConfig.version : '–'),
              h('dt', {}, 'Own database'), h('dd', {}, service.databaseType || '–'),
              h('dt', {}, 'Created'), h('dd', {}, time(service.createTime)),
              h('dt', {}, 'Updated'), h('dd', {}, time(service.updateTime)))),
      h('section', { class: 'card', 'aria-labelledby': 'migration-heading' },
          h('h2', { id: 'migration-heading' }, 'Active migration'),
          activeMigration,
          h('p', {}, h('a', { href: '#/migrations', class: 'button' }, 'Migrate Data'))));
}

// ---- migrations ----

const STATES = ['STARTING', 'RUNNING', 'AWAITING_USER_ACTION', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

async function migrationsView(state) {
  const [page, live] = await Promise.all([api.executions(state), api.liveExecution()]);
  const executions = page.migrationExecutions || [];
  const filter = h('select', { id: 'state-filter', name: 'state' },
      h('option', { value: '' }, 'All states'),
      STATES.map((value) => h('option', { value, selected: value === state }, value)));
  filter.addEventListener('change', () => {
    location.hash = filter.value ? '#/migrations?state=' + filter.value : '#/migrations';
  });
  let create = null;
  if (api.may('migrations.start')) {
    create = live
      ? h('p', { class: 'hint' }, 'A migration is running; a service runs one at a time.')
      : h('a', { href: '#/migrations/new', class: 'button primary', id: 'create-migration' }, 'Create migration');
  }
  const rows = executions.map((execution) => h('tr', { 'data-id': shortId(execution.name) },
      h('td', {}, h('a', { href: '#/migrations/' + shortId(execution.name) }, shortId(execution.name))),
      h('td', {}, badge(execution.state)),
      h('td', {}, execution.phase),
      h('td', {}, time(execution.createTime)),
      h('td', {}, time(execution.endTime))));
  show('Migrate Data',
      h('h1', {}, 'Migrate Data'),
      h('p', { class: 'lead' }, 'Move this metastore\'s data from a MySQL or MariaDB metastore database into Ferry\'s own database while Ferry serves from the source.'),
      h('div', { class: 'toolbar' }, create, h('span', { class: 'nav-spacer' }), h('label', { for: 'state-filter' }, 'Filter by state '), filter),
      executions.length === 0
        ? h('p', { id: 'no-migrations' }, state ? `No migration is ${state}.` : 'No migrations yet.')
        : h('table', { id: 'migrations', class: 'data' },
            h('caption', { class: 'visually-hidden' }, 'Migrations, newest first'),
            h('thead', {}, h('tr', {}, ['ID', 'State', 'Phase', 'Created', 'Ended'].map((title) => h('th', { scope: 'col' }, title)))),
            h('tbody', {}, rows)));
}

// ---- create ----

function field(id, label, apiField, options = {}) {
  const errorId = id + '-error';
  const hintId = id + '-hint';
  const input = h('input', {
    id, name: id, type: options.type || 'text', 'data-field': apiField, autocomplete: options.type === 'password' ? 'new-password' : 'off',
    inputmode: options.inputmode, placeholder: options.placeholder, value: options.value, 'aria-required': options.required ? 'true' : null,
    'aria-describedby': [options.hint ? hintId : null, errorId].filter(Boolean).join(' '), spellcheck: 'false',
  });
  return h('div', { class: 'field' },
      h('label', { for: id }, label, options.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : ''),
      input,
      options.hint ? h('p', { id: hintId, class: 'hint' }, options.hint) : null,
      h('p', { id: errorId, class: 'field-error', 'aria-live': 'polite' }));
}

function createView() {
  if (!api.may('migrations.start')) {
    show('Create migration', h('h1', {}, 'Create migration'), h('p', {}, 'Your role may not start migrations.'));
    return;
  }
  const connectivity = h('fieldset', { id: 'step-connectivity', class: 'step' },
      h('legend', {}, h('h2', {}, '1. Connectivity')),
      h('p', { class: 'hint' }, 'The MySQL or MariaDB database your Hive metastore uses today. Ferry serves from it as soon as the migration starts.'),
      field('instance-connection-name', 'Instance connection name', CONNECTION + 'instanceConnectionName', { hint: 'PROJECT_ID/LOCATION/INSTANCE_ID or project:region:instance; informational.' }),
      field('ip-address', 'IP address', CONNECTION + 'ipAddress', { required: true, hint: 'Host name or IPv4 address of the database server.' }),
      field('port', 'Port', CONNECTION + 'port', { required: true, inputmode: 'numeric', value: '3306' }),
      field('hive-database-name', 'Hive database name', CONNECTION + 'hiveDatabaseName', { required: true, hint: 'The database holding the metastore\'s tables.' }),
      field('username', 'Username', CONNECTION + 'username', { required: true }),
      field('password', 'Password', CONNECTION + 'password', { required: true, type: 'password' }),
      h('details', { class: 'network', open: true },
          h('summary', {}, 'Proxy subnet and NAT subnet'),
          h('p', { class: 'hint' }, 'Cloud networking that Ferry records and shows back but does not create.'),
          field('proxy-subnet', 'Proxy subnet', CONNECTION + 'proxySubnet', { hint: 'A subnetwork name or a CIDR of at most /29.' }),
          field('nat-subnet', 'NAT subnet', CONNECTION + 'natSubnet', { hint: 'A subnetwork name or a CIDR of at most /29.' })),
      h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', id: 'continue', onclick: () => step(2) }, 'Continue'),
          h('a', { href: '#/migrations', class: 'button' }, 'Cancel')));
  const capture = h('fieldset', { id: 'step-cdc', class: 'step', hidden: true },
      h('legend', {}, h('h2', {}, '2. Change Data Capture')),
      h('p', { class: 'hint' }, 'The user that reads the binlog (REPLICATION SLAVE, BINLOG MONITOR and SELECT on the metastore database).'),
      field('cdc-username', 'Username', CDC + 'username', { required: true }),
      field('cdc-password', 'Password', CDC + 'password', { required: true, type: 'password' }),
      field('vpc-network', 'VPC network', CDC + 'vpcNetwork', { hint: 'Recorded only.' }),
      field('subnet-ip-range', 'Subnet IP range', CDC + 'subnetIpRange', { hint: 'A CIDR of at most /29; recorded only.' }),
      field('reverse-proxy-subnet', 'Reverse proxy subnet', CDC + 'reverseProxySubnet', { hint: 'Recorded only.' }),
      h('h3', {}, 'Staging'),
      h('p', { class: 'hint' }, 'Where change data capture writes the staging log before it is applied: a directory or file:// URI on the Ferry host.'),
      field('bucket', 'Bucket', CDC + 'bucket', { hint: 'Empty: Ferry\'s migration.staging-directory.' }),
      field('root-path', 'Root path', CDC + 'rootPath', { value: '/migration' }),
      h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', id: 'create' }, 'Create'),
          h('button', { type: 'button', id: 'back', onclick: () => step(1) }, 'Back')));
  const failure = h('div', { id: 'create-error' });
  const steps = h('ol', { class: 'steps', 'aria-label': 'Steps' },
      h('li', { id: 'step-1-label', 'aria-current': 'step' }, 'Connectivity'),
      h('li', { id: 'step-2-label' }, 'Change Data Capture'));
  const form = h('form', { id: 'create-form', class: 'card', novalidate: true }, steps, failure, connectivity, capture);

  function step(number) {
    connectivity.hidden = number !== 1;
    capture.hidden = number !== 2;
    document.getElementById('step-1-label').toggleAttribute('aria-current', number === 1);
    document.getElementById('step-2-label').toggleAttribute('aria-current', number === 2);
    if (number === 1) document.getElementById('step-1-label').setAttribute('aria-current', 'step');
    if (number === 2) document.getElementById('step-2-label').setAttribute('aria-current', 'step');
    (number === 1 ? connectivity : capture).querySelector('input').focus();
  }

  function value(id) {
    return document.getElementById(id).value.trim();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const input of form.querySelectorAll('input')) {
      input.removeAttribute('aria-invalid');
      document.getElementById(input.id + '-error').textContent = '';
    }
    failure.replaceChildren();
    const connection = {
      instanceConnectionName: value('instance-connection-name'), ipAddress: value('ip-address'), port: /^\d+$/.test(value('port')) ? Number(value('port')) : value('port'),
      hiveDatabaseName: value('hive-database-name'), username: value('username'), password: document.getElementById('password').value,
      proxySubnet: value('proxy-subnet'), natSubnet: value('nat-subnet'),
    };
    const cdc = {
      username: value('cdc-username'), password: document.getElementById('cdc-password').value, vpcNetwork: value('vpc-network'),
      subnetIpRange: value('subnet-ip-range'), reverseProxySubnet: value('reverse-proxy-subnet'), bucket: value('bucket'), rootPath: value('root-path'),
    };
    // An empty optional field is left out, as an API client would; a required one left empty is the API's to name.
    for (const [key, entry] of Object.entries(connection)) if (entry === '' && !['ipAddress', 'hiveDatabaseName', 'username', 'password', 'port'].includes(key)) delete connection[key];
    for (const [key, entry] of Object.entries(cdc)) if (entry === '' && !['username', 'password'].includes(key)) delete cdc[key];
    const button = document.getElementById('create');
    button.disabled = true;
    try {
      await api.start({ requestId: uuid(), migrationExecution: { cloudSqlMigrationConfig: { cloudSqlConnectionConfig: connection, cdcConfig: cdc } } });
      const live = await api.liveExecution();
      announce('Migration created.');
      location.hash = live ? '#/migrations/' + shortId(live.name) : '#/migrations';
    } catch (error) {
      button.disabled = false;
      let first = null;
      const unplaced = [];
      for (const violation of error.violations || []) {
        const input = form.querySelector(`[data-field="${CSS.escape(violation.field)}"]`);
        if (input) {
          input.setAttribute('aria-invalid', 'true');
          document.getElementById(input.id + '-error').textContent = violation.description;
          first = first || input;
        } else {
          unplaced.push(violation.field + ': ' + violation.description);
        }
      }
      failure.replaceChildren(errorBox(error), ...unplaced.map((text) => h('p', { class: 'field-error' }, text)));
      if (first) {
        step(connectivity.contains(first) ? 1 : 2);
        first.focus();
      }
    }
  });
  show('Create migration', h('h1', {}, 'Create migration'), form);
}

// ---- details ----

function confirmDialog(title, text, confirmLabel, action) {
  const dialog = document.getElementById('confirm');
  const failure = h('div');
  const confirm = h('button', { type: 'button', class: 'primary danger', id: 'confirm-yes' }, confirmLabel);
  dialog.replaceChildren(
      h('h2', { id: 'confirm-title' }, title),
      h('p', { id: 'confirm-text' }, text),
      failure,
      h('div', { class: 'actions' }, confirm, h('button', { type: 'button', id: 'confirm-no', onclick: () => dialog.close() }, 'Keep it as it is')));
  dialog.setAttribute('aria-labelledby', 'confirm-title');
  dialog.setAttribute('aria-describedby', 'confirm-text');
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      await action();
      dialog.close();
    } catch (error) {
      confirm.disabled = false;
      failure.replaceChildren(errorBox(error));
    }
  });
  dialog.showModal();
  document.getElementById('confirm-no').focus();
}

function actions(execution, refresh) {
  const id = shortId(execution.name);
  const buttons = [];
  const streaming = execution.replication && execution.replication.stage === 'STREAMING';
  if (api.may('migrations.complete') && execution.state === 'RUNNING' && execution.phase === 'REPLICATION') {
    buttons.push(h('button', {
      type: 'button', class: 'primary', id: 'complete', disabled: !streaming, title: streaming ? null : 'Possible once the backfill is done',
      onclick: () => confirmDialog('Complete the migration?',
          'Ferry holds writes for a moment, lets replication drain, verifies every table against the source, and switches to its own database, '
          + 'which is the source of truth from then on. Reads are served throughout; held writes see a pause, not an error. '
          + 'If anything differs, the cutover is aborted and Ferry keeps serving from the source.',
          'Complete migration', async () => { await api.complete(); announce('Cutover started.'); await refresh(); }),
    }, 'Complete'));
    if (!streaming) buttons.push(h('span', { class: 'hint' }, 'Complete is possible once the backfill is done.'));
  }
  if (api.may('migrations.cancel') && isLive(execution) && execution.state !== 'CANCELLING' && execution.phase !== 'CUTOVER') {
    buttons.push(h('button', {
      type: 'button', id: 'cancel',
      onclick: () => confirmDialog('Cancel the migration?',
          'Ferry stops replication and serves from its own database again, which becomes a freshly initialised metastore: everything copied so far '
          + 'is deleted, and so is the staging log. Writes made through Ferry since the start went to the source and stay there. The source is not changed.',
          'Cancel migration', async () => { await api.cancel(); announce('Cancelling.'); await refresh(); }),
    }, 'Cancel migration'));
  }
  if (api.may('migrations.delete') && TERMINAL_STATES.includes(execution.state)) {
    buttons.push(h('button', {
      type: 'button', class: 'danger', id: 'delete',
      onclick: () => confirmDialog('Delete this migration record?',
          `The record of migration ${id} and its history are deleted. The metastore's data is not touched: this only removes the execution from the list.`,
          'Delete record', async () => { await api.remove(id); announce('Deleted.'); location.hash = '#/migrations'; }),
    }, 'Delete'));
  }
  return buttons.length === 0 ? null : h('div', { class: 'actions', id: 'actions' }, buttons);
}

function progress(label, copied, total, id) {
  const percent = total > 0 ? Math.min(100, Math.floor(copied * 100 / total)) : 0;
  return h('div', { class: 'progress-row' },
      h('label', { for: id }, label),
      h('progress', { id, max: total > 0 ? total : 1, value: total > 0 ? Math.min(copied, total) : 0 }),
      h('span', { class: 'progress-text' }, `${percent}% · ${number(copied)} of ${number(total)} rows`));
}

function backfillSection(replication, userOpened) {
  const backfill = replication.backfill || { rowsCopied: 0, rowsTotal: 0, tables: [] };
  const tables = [...(backfill.tables || [])].sort((a, b) => (b.rowsTotal || 0) - (a.rowsTotal || 0));
  const done = tables.filter((table) => table.done).length;
  return h('section', { class: 'card', 'aria-labelledby': 'backfill-heading', id: 'backfill' },
      h('h2', { id: 'backfill-heading' }, 'Backfill'),
      progress('All tables', backfill.rowsCopied, backfill.rowsTotal, 'backfill-total'),
      h('p', { class: 'hint', id: 'tables-done' }, `${done} of ${tables.length} tables copied`),
      h('details', { id: 'backfill-tables-details', open: userOpened || tables.some((table) => !table.done) ? true : null, 'data-user-opened': userOpened ? 'true' : null },
          h('summary', { onclick: (event) => event.currentTarget.parentElement.setAttribute('data-user-opened', event.currentTarget.parentElement.open ? 'false' : 'true') },
              'Per table'),
          h('table', { class: 'data compact', id: 'backfill-tables' },
              h('caption', { class: 'visually-hidden' }, 'Backfill progress per table, largest first'),
              h('thead', {}, h('tr', {}, ['Table', 'Progress', 'Rows copied', 'Rows'].map((title) => h('th', { scope: 'col' }, title)))),
              h('tbody', {}, tables.map((table) => h('tr', { 'data-table': table.table },
                  h('th', { scope: 'row' }, table.table),
                  h('td', {}, h('progress', { max: table.rowsTotal > 0 ? table.rowsTotal : 1, value: table.done ? (table.rowsTotal || 1) : Math.min(table.rowsCopied, table.rowsTotal || 0),
                    'aria-label': table.table + ' progress' })),
                  h('td', { class: 'number' }, number(table.rowsCopied)),
                  h('td', { class: 'number' }, table.rowsTotal === undefined ? '–' : number(table.rowsTotal))))))));
}

function operationsSection(operations) {
  return h('section', { class: 'card', 'aria-labelledby': 'operations-heading' },
      h('h2', { id: 'operations-heading' }, 'Operations'),
      operations.length === 0 ? h('p', {}, 'None.') : h('table', { class: 'data compact', id: 'operations' },
          h('thead', {}, h('tr', {}, ['Operation', 'Verb', 'Done', 'Result', 'Created', 'Ended'].map((title) => h('th', { scope: 'col' }, title)))),
          h('tbody', {}, operations.map((operation) => h('tr', {},
              h('td', {}, shortId(operation.name)),
              h('td', {}, operation.metadata.verb),
              h('td', {}, operation.done ? 'yes' : 'no'),
              h('td', {}, operation.error ? `error: ${operation.error.message}` : operation.done ? 'OK' : operation.metadata.statusMessage || '…'),
              h('td', {}, time(operation.metadata.createTime)),
              h('td', {}, time(operation.metadata.endTime)))))));
}

async function detailsView(id) {
  const summary = h('p', { id: 'lag-summary', class: 'hint' });
  const chartHolder = h('div', { id: 'lag-chart-holder' });
  const headline = h('div', { id: 'headline', 'aria-live': 'polite' });
  const actionsHolder = h('div');
  const factsHolder = h('div');
  const backfillHolder = h('div');
  const operationsHolder = h('div');
  const body = h('div', { id: 'details' }, actionsHolder, factsHolder, backfillHolder,
      h('section', { class: 'card', 'aria-labelledby': 'lag-heading' }, h('h2', { id: 'lag-heading' }, 'Apply lag over time'),
          h('p', { class: 'hint' }, 'How long ago the source committed the last transaction applied to the own database, sampled every second. '
              + 'It rises while the source is idle, and drops when the next change is applied.'),
          chartHolder, summary),
      operationsHolder);
  let lastState = null;
  let lastActions = null;

  async function refresh() {
    const [execution, history] = await Promise.all([api.execution(id), api.lagHistory(id)]);
    const operations = await api.operations(execution);
    const connection = execution.cloudSqlMigrationConfig.cloudSqlConnectionConfig;
    const cdc = execution.cloudSqlMigrationConfig.cdcConfig;
    const replication = execution.replication || {};
    headline.replaceChildren(
        h('p', { class: 'state-line' }, badge(execution.state), ' phase ', h('strong', { id: 'phase' }, execution.phase),
            replication.stage ? [' · stage ', h('strong', { id: 'stage' }, replication.stage)] : ''),
        execution.stateMessage ? h('p', { id: 'state-message', class: 'message' }, execution.stateMessage) : '');
    if (lastState !== null && lastState !== execution.state) announce(`Migration ${id} is ${execution.state}.`);
    lastState = execution.state;
    chartHolder.replaceChildren(lagChart(history.samples || [], summary));
    const facts = [
      ['Created', time(execution.createTime)],
      ['Ended', time(execution.endTime)],
      ['Source', `${connection.username}@${connection.ipAddress}:${connection.port}/${connection.hiveDatabaseName}`],
      ['Instance connection name', connection.instanceConnectionName || '–'],
      ['CDC user', cdc.username],
      ['Staging', `${cdc.bucket || 'Ferry\'s staging directory'} ${cdc.rootPath}`],
      ['Network', [connection.proxySubnet, connection.natSubnet, cdc.vpcNetwork, cdc.subnetIpRange, cdc.reverseProxySubnet].filter(Boolean).join(', ') || '–'],
    ];
    const cutover = [];
    if (replication.writePauseMillis !== undefined) cutover.push(['Write pause', formatMillis(replication.writePauseMillis), 'write-pause']);
    if (replication.lastVerification) {
      const verification = replication.lastVerification;
      cutover.push(['Verification', `${verification.differences === 0 ? 'OK' : 'DIFFERENCES'}: ${verification.differences} differences in the last `
          + `verification, which compared ${verification.tablesCompared} tables (${time(verification.time)})`, 'verification']);
    }
    // The actions are rebuilt only when what they offer changes, so that keyboard focus on a button survives a refresh.
    const actionsKey = [execution.state, execution.phase, replication.stage].join('/');
    if (actionsKey !== lastActions) {
      actionsHolder.replaceChildren(actions(execution, refresh) || '');
      lastActions = actionsKey;
    }
    const tablesOpen = document.getElementById('backfill-tables-details');
    factsHolder.replaceChildren(h('div', { class: 'columns' },
        h('section', { class: 'card', 'aria-labelledby': 'summary-heading' },
            h('h2', { id: 'summary-heading' }, 'Summary'),
            h('dl', { class: 'facts' }, facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]))),
        h('section', { class: 'card', 'aria-labelledby': 'replication-heading' },
            h('h2', { id: 'replication-heading' }, 'Replication'),
            h('dl', { class: 'facts' },
                h('dt', {}, 'Apply lag'), h('dd', { id: 'lag' }, replication.lagMillis === undefined ? '–' : formatMillis(replication.lagMillis)),
                h('dt', {}, 'Events applied'), h('dd', {}, number(replication.eventsApplied)),
                h('dt', {}, 'Captured up to'), h('dd', {}, h('code', {}, replication.capturedPosition || '–')),
                h('dt', {}, 'Applied up to'), h('dd', {}, h('code', {}, replication.appliedPosition || '–')),
                replication.lastError ? [h('dt', {}, 'Last error'), h('dd', {}, replication.lastError)] : null,
                cutover.map(([term, value, key]) => [h('dt', {}, term), h('dd', { id: key }, value)])))));
    backfillHolder.replaceChildren(replication.backfill ? backfillSection(replication, tablesOpen !== null && tablesOpen.getAttribute('data-user-opened') === 'true') : '');
    operationsHolder.replaceChildren(operationsSection(operations.operations || []));
  }

  try {
    await refresh();
  } catch (error) {
    show('Migration', h('h1', {}, 'Migration ', id), errorBox(error), h('p', {}, h('a', { href: '#/migrations' }, 'Back to Migrate Data')));
    return;
  }
  show('Migration ' + id,
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/migrations' }, 'Migrate Data'), ' / ', id),
      h('h1', {}, 'Migration ', h('span', { class: 'resource' }, id)),
      headline, body);
  poll(refresh);
}

// ---- routing ----

async function route() {
  if (!api) {
    signInView();
    return;
  }
  const hash = location.hash || '#/';
  try {
    let match;
    if (hash === '#/' || hash === '#') await serviceView();
    else if (hash === '#/migrations/new') createView();
    else if ((match = hash.match(/^#\/migrations(?:\?state=([A-Z_]+))?$/))) await migrationsView(match[1]);
    else if ((match = hash.match(/^#\/migrations\/([A-Za-z0-9-]+)$/))) await detailsView(match[1]);
    else show('Not found', h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'To the service')));
  } catch (error) {
    if (error instanceof ApiError && error.httpStatus === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      api = null;
      signInView('The token is no longer valid: sign in again.');
      return;
    }
    show('Error', h('h1', {}, 'Something went wrong'), errorBox(error));
  }
}

async function boot() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    try {
      const candidate = new Api(token);
      await candidate.connect();
      api = candidate;
      renderNav();
    } catch (error) {
      sessionStorage.removeItem(TOKEN_KEY);
    }
  }
  window.addEventListener('hashchange', route);
  await route();
  document.body.setAttribute('data-ready', 'true');
}

boot();
