#include "admin/web/templates.hpp"

namespace parley::admin::web::templates {

// No inline script or style anywhere: the Content-Security-Policy allows neither.
const std::string_view kLayout = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · parley admin</title>
<link rel="stylesheet" href="/admin/static/admin.css">
</head>
<body>
<header class="top">
<a class="brand" href="/admin">parley</a>
{{#user}}
<nav aria-label="Main">
<ul>
{{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>
{{/nav}}
</ul>
</nav>
<form class="logout" method="post" action="/admin/logout">
<input type="hidden" name="csrf" value="{{csrf}}">
<span class="who">{{user}} ({{role}})</span>
<button type="submit">Log out</button>
</form>
{{/user}}
</header>
<main id="main">
{{{body}}}
</main>
</body>
</html>
)html";

const std::string_view kLogin = R"html(<h1>Log in</h1>
{{#message}}<p class="error" role="alert">{{message}}</p>{{/message}}
<form class="login" method="post" action="/admin/login">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="{{email}}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
)html";

const std::string_view kDashboard = R"html(<h1>Dashboard</h1>
<section aria-labelledby="today">
<h2 id="today">Messages today <small>({{day}}, UTC)</small></h2>
<dl class="numbers">
<div><dt>Inbound</dt><dd id="messages-in">{{inbound}}</dd></div>
<div><dt>Outbound</dt><dd id="messages-out">{{outbound}}</dd></div>
</dl>
</section>
<section aria-labelledby="delivery">
<h2 id="delivery">Delivery, last 24 hours</h2>
<dl class="numbers">
<div><dt>Delivered</dt><dd id="delivery-rate">{{rate}}</dd></div>
<div><dt>Failed</dt><dd id="delivery-failed">{{failed}}</dd></div>
<div><dt>Undelivered</dt><dd id="delivery-undelivered">{{undelivered}}</dd></div>
<div><dt>On the way</dt><dd id="delivery-pending">{{pending}}</dd></div>
</dl>
{{#attention}}<p class="error" id="attention">Needs attention: <a href="/admin/messages?status=failed">failed messages</a>,
<a href="/admin/messages?status=undelivered">undelivered messages</a>.</p>{{/attention}}
<figure class="chart-box">{{{chart}}}
<figcaption>Messages per hour, last 24 hours (UTC): <span class="key-in">inbound</span>,
<span class="key-out">outbound</span>.</figcaption></figure>
</section>
<section aria-labelledby="active">
<h2 id="active">Active sessions per flow</h2>
{{#has_flows}}
<table>
<thead><tr><th scope="col">Flow</th><th scope="col">Active sessions</th></tr></thead>
<tbody>
{{#flows}}<tr><td>{{flow}}</td><td class="num">{{active}}</td></tr>
{{/flows}}
</tbody>
</table>
{{/has_flows}}
{{^has_flows}}<p>No active sessions.</p>{{/has_flows}}
</section>
)html";

const std::string_view kContacts = R"html(<h1>Contacts</h1>
<form class="search" method="get" action="/admin/contacts" role="search">
<label for="q">Number or name</label>
<input id="q" name="q" type="search" value="{{q}}">
<button type="submit">Search</button>
</form>
{{#has_contacts}}
<table class="contacts">
<thead><tr><th scope="col">Address</th><th scope="col">Name</th><th scope="col">Channel</th>
<th scope="col">Status</th><th scope="col">Last inbound</th><th scope="col">Created</th></tr></thead>
<tbody>
{{#contacts}}<tr><td><a href="/admin/contacts/{{id}}">{{address}}</a></td><td>{{name}}</td><td>{{channel}}</td><td>{{status}}</td>
<td>{{last_inbound}}</td><td>{{created}}</td></tr>
{{/contacts}}
</tbody>
</table>
{{/has_contacts}}
{{^has_contacts}}<p class="empty">No contacts{{#q}} match “{{q}}”{{/q}}.</p>{{/has_contacts}}
{{#next}}<p><a rel="next" href="{{next}}">Older contacts</a></p>{{/next}}
)html";

const std::string_view kTranscriptEntries =
    R"html({{#entries}}{{#message}}<li class="msg {{direction}}"><span class="meta"><time>{{at}}</time> {{arrow}} {{#status}}<span class="status">{{status}}</span>{{/status}}{{#error_code}} <span class="error-code">error {{error_code}}</span>{{/error_code}}</span>
<span class="body">{{body}}</span>{{#media}}<span class="media">{{.}}</span>{{/media}}</li>
{{/message}}{{#transition}}<li class="transition"><time>{{at}}</time> <span class="text">{{text}}</span> <span class="cause">({{cause}})</span></li>
{{/transition}}{{/entries}})html";

const std::string_view kContact =
    R"html(<h1>{{address}}{{#name}} <small>{{name}}</small>{{/name}}</h1>
{{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
<section aria-labelledby="about">
<h2 id="about">Contact</h2>
<dl class="facts">
<div><dt>Channel</dt><dd id="channel">{{channel}}</dd></div>
<div><dt>Status</dt><dd id="status">{{status}}</dd></div>
{{#whatsapp}}<div><dt>WhatsApp window</dt><dd id="window">{{window}}</dd></div>{{/whatsapp}}
<div><dt>Last inbound</dt><dd>{{last_inbound}}</dd></div>
<div><dt>Created</dt><dd>{{created}}</dd></div>
</dl>
<h3>Fields</h3>
{{#has_fields}}<dl class="fields">
{{#fields}}<div><dt>{{key}}</dt><dd>{{value}}</dd></div>
{{/fields}}</dl>{{/has_fields}}
{{^has_fields}}<p class="empty">No custom fields.</p>{{/has_fields}}
</section>
<section aria-labelledby="session">
<h2 id="session">Current session</h2>
{{#session}}
<dl class="facts">
<div><dt>Flow</dt><dd id="session-flow">{{flow}}</dd></div>
<div><dt>State</dt><dd id="session-state">{{state}}</dd></div>
<div><dt>Started</dt><dd>{{started}}</dd></div>
<div><dt>Last step</dt><dd>{{updated}}</dd></div>
</dl>
<h3>Variables</h3>
{{#has_vars}}<dl class="fields">
{{#vars}}<div><dt>{{key}}</dt><dd>{{value}}</dd></div>
{{/vars}}</dl>{{/has_vars}}
{{^has_vars}}<p class="empty">No variables.</p>{{/has_vars}}
<h3>Pending timers</h3>
{{#has_timers}}<table>
<thead><tr><th scope="col">Timer</th><th scope="col">Due (UTC)</th><th scope="col">Kept across steps</th></tr></thead>
<tbody>
{{#timers}}<tr><td>{{name}}</td><td>{{due}}</td><td>{{keep}}</td></tr>
{{/timers}}</tbody>
</table>{{/has_timers}}
{{^has_timers}}<p class="empty">No pending timers.</p>{{/has_timers}}
{{/session}}
{{^session}}<p class="empty">No active session.</p>{{/session}}
</section>
{{#can_act}}
<section aria-labelledby="actions">
<h2 id="actions">Actions</h2>
<div class="actions">
<form method="post" action="/admin/contacts/{{id}}/send" class="send">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="send-body">One-off message</label>
<textarea id="send-body" name="body" rows="3" maxlength="1600" required></textarea>
<button type="submit">Send</button>
</form>
<form method="post" action="/admin/contacts/{{id}}/start-flow">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="start-flow">Start flow</label>
<input id="start-flow" name="flow" list="flow-ids" required>
<datalist id="flow-ids">{{#flow_ids}}<option value="{{.}}">{{/flow_ids}}</datalist>
<button type="submit">Start</button>
</form>
{{#session}}<form method="post" action="/admin/contacts/{{id}}/end-session">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit">End the session</button>
</form>{{/session}}
{{#active}}<form method="post" action="/admin/contacts/{{id}}/opt-out">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit">Opt out</button>
</form>{{/active}}
{{^active}}<form method="post" action="/admin/contacts/{{id}}/opt-in">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit">Opt in</button>
</form>{{/active}}
<form method="post" action="/admin/contacts/{{id}}/edit" class="edit">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="edit-name">Name</label>
<input id="edit-name" name="name" value="{{name}}" maxlength="200">
<label for="edit-fields">Fields, one <code>key=value</code> a line</label>
<textarea id="edit-fields" name="fields" rows="4">{{fields_text}}</textarea>
<button type="submit">Save</button>
</form>
</div>
</section>
{{/can_act}}
<section aria-labelledby="transcript">
<h2 id="transcript">Transcript</h2>
{{#live}}<ol class="transcript" id="transcript-list" data-live="{{url}}" data-after="{{after}}" data-transition="{{transition}}" data-since="{{since}}" aria-live="polite">
{{{entries_html}}}</ol>
{{^has_entries}}<p class="empty" id="transcript-empty">No messages.</p>{{/has_entries}}
<script src="/admin/static/transcript.js" defer></script>{{/live}}
{{^live}}{{#has_entries}}<ol class="transcript" id="transcript-list">
{{{entries_html}}}</ol>{{/has_entries}}
{{^has_entries}}<p class="empty">No messages.</p>{{/has_entries}}{{/live}}
<p class="pages">{{#older}}<a rel="prev" href="{{older}}">Older messages</a>{{/older}}
{{#newest}} <a href="{{newest}}">Newest messages</a>{{/newest}}</p>
</section>
<section aria-labelledby="past">
<h2 id="past">Past sessions</h2>
{{#has_past}}<table>
<thead><tr><th scope="col">Flow</th><th scope="col">Last state</th><th scope="col">Status</th>
<th scope="col">Why it ended</th><th scope="col">Started</th><th scope="col">Ended</th></tr></thead>
<tbody>
{{#past}}<tr><td>{{flow}}</td><td>{{state}}</td><td>{{status}}</td><td>{{reason}}</td><td>{{started}}</td><td>{{ended}}</td></tr>
{{/past}}</tbody>
</table>{{/has_past}}
{{^has_past}}<p class="empty">No past sessions.</p>{{/has_past}}
</section>
)html";

const std::string_view kFlows = R"html(<h1>Flows</h1>
{{#has_flows}}<table>
<thead><tr><th scope="col">Flow</th><th scope="col">Revision</th><th scope="col">States</th>
<th scope="col">Live sessions</th><th scope="col">Warnings</th></tr></thead>
<tbody>
{{#flows}}<tr><td><a href="{{path}}">{{id}}</a></td><td><code>{{revision}}</code></td>
<td>{{states}}</td><td>{{live}}</td><td>{{warnings}}</td></tr>
{{/flows}}</tbody>
</table>{{/has_flows}}
{{^has_flows}}<p class="empty">No flows are loaded.</p>{{/has_flows}}
)html";

const std::string_view kFlow = R"html(<h1>Flow {{id}}</h1>
<p>Revision <code>{{revision}}</code> · {{state_count}} · {{edge_count}} ·
{{live}} · <a href="{{path}}/graph.dot">DOT</a> (for
<code>dot -Tsvg</code>)</p>
{{#reload}}<section aria-labelledby="reload-result" class="reload {{outcome}}">
<h2 id="reload-result">Reload</h2>
<p>{{summary}}</p>
{{#has_errors}}<p>Nothing of these files was applied: the revisions that served keep serving.</p>
{{#errors}}<pre class="diagnostics">{{.}}</pre>
{{/errors}}{{/has_errors}}
{{#has_changes}}<ul>{{#changes}}<li>{{.}}</li>{{/changes}}</ul>{{/has_changes}}
</section>{{/reload}}
<form method="get" action="{{path}}" class="period">
<label for="days">Entered, left and ended in whole UTC days:</label>
<select id="days" name="days">{{#periods}}<option value="{{days}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/periods}}</select>
<button type="submit">Show</button>
</form>
<div class="graph">{{{svg}}}</div>
<section aria-labelledby="per-state">
<h2 id="per-state">States ({{period}}, UTC)</h2>
<table>
<thead><tr><th scope="col">State</th><th scope="col">Now</th><th scope="col">Entered</th>
<th scope="col">Left</th><th scope="col">Ended</th><th scope="col">Edges (file order)</th></tr></thead>
<tbody>
{{#states}}<tr><td>{{name}}{{#terminal}} <span class="tag">terminal</span>{{/terminal}}</td><td>{{now}}</td>
<td>{{entered}}</td><td>{{left}}</td><td>{{ended}}</td>
<td>{{#has_edges}}<ol class="edges">{{#edges}}<li>{{label}} → {{target}}</li>{{/edges}}</ol>{{/has_edges}}</td></tr>
{{/states}}</tbody>
</table>
{{#has_gone}}<p>States of earlier revisions: {{#gone}}{{name}} (now {{now}}, entered {{entered}}, left {{left}}, ended {{ended}}) {{/gone}}</p>{{/has_gone}}
</section>
<section aria-labelledby="warnings">
<h2 id="warnings">Warnings</h2>
{{#has_warnings}}<ul>{{#warnings}}<li>{{.}}</li>{{/warnings}}</ul>{{/has_warnings}}
{{^has_warnings}}<p class="empty">No warnings.</p>{{/has_warnings}}
</section>
<section aria-labelledby="revisions">
<h2 id="revisions">Revisions</h2>
<table>
<thead><tr><th scope="col">Revision</th><th scope="col">Loaded (UTC)</th></tr></thead>
<tbody>
{{#revisions}}<tr><td><code>{{revision}}</code>{{#current}} <span class="tag">serving</span>{{/current}}</td><td>{{loaded}}</td></tr>
{{/revisions}}</tbody>
</table>
</section>
{{#can_reload}}<form method="post" action="{{path}}/reload">
<input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit">Reload the flows folder</button>
<p>Every changed file is checked first; a file with an error is not applied and its current
revision keeps serving.</p>
</form>{{/can_reload}}
)html";

const std::string_view kUsers = R"html(<h1>Users</h1>
<p>Users are managed with <code>parley admin create-user</code>, <code>reset-password</code> and
<code>disable</code> (docs/admin.md).</p>
<table>
<thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th>
<th scope="col">Created</th></tr></thead>
<tbody>
{{#users}}<tr><td>{{email}}</td><td>{{role}}</td><td>{{status}}</td><td>{{created}}</td></tr>
{{/users}}
</tbody>
</table>
)html";

const std::string_view kAudit = R"html(<h1>Audit log</h1>
<table>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Action</th>
<th scope="col">Target</th><th scope="col">Detail</th><th scope="col">From</th></tr></thead>
<tbody>
{{#entries}}<tr><td>{{at}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{target}}</td>
<td>{{detail}}</td><td>{{remote}}</td></tr>
{{/entries}}
</tbody>
</table>
{{#next}}<p><a rel="next" href="{{next}}">Older entries</a></p>{{/next}}
)html";

const std::string_view kError = R"html(<h1>{{status}}</h1>
<p>{{message}}</p>
<p><a href="/admin">Back to the dashboard</a></p>
)html";

const std::string_view kStylesheet = R"css(:root { color-scheme: light dark; --accent: #2458b3; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem;
  padding: .5rem 1rem; border-bottom: 1px solid #8884; }
.brand { font-weight: 700; text-decoration: none; color: inherit; }
nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: 0; padding: 0; }
nav a[aria-current] { font-weight: 700; }
.logout { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
main { padding: 1rem; max-width: 72rem; }
a { color: var(--accent); }
a:focus, button:focus, input:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #8884; }
td.num { text-align: right; }
.numbers { display: flex; gap: 2rem; }
.numbers dd { font-size: 2rem; margin: 0; }
form.login { display: grid; gap: .5rem; max-width: 22rem; }
form.search { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: 1rem; }
input, button { font: inherit; padding: .3rem .5rem; }
.error { color: #b00020; font-weight: 600; }
.facts, .fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr));
  gap: .25rem 1rem; }
.facts dt, .fields dt { font-weight: 600; }
.facts dd, .fields dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; }
.actions form { display: grid; gap: .35rem; align-content: start; }
textarea { font: inherit; padding: .3rem .5rem; width: 100%; }
.transcript { list-style: none; padding: 0; display: grid; gap: .5rem; }
.msg { padding: .4rem .6rem; border-radius: .5rem; max-width: 40rem; border: 1px solid #8884; }
.msg.outbound { margin-left: auto; background: #2458b314; }
.msg .meta { display: block; font-size: .8rem; opacity: .8; }
.msg .body { white-space: pre-wrap; overflow-wrap: anywhere; }
.msg .media { display: block; font-size: .8rem; overflow-wrap: anywhere; }
.transition { font-size: .85rem; padding: .2rem .6rem; border-left: 3px solid #8886; opacity: .9; }
.transition .cause { opacity: .7; }
.error-code { color: #b00020; }
.graph { overflow: auto; max-height: 70vh; border: 1px solid #8884; margin: .5rem 0; }
.flow-graph .state rect { fill: #fff; stroke: #2458b3; stroke-width: 1.5; }
.flow-graph .state.terminal rect { stroke-width: 3; }
.flow-graph text { font: 12px system-ui, sans-serif; fill: #222; }
.flow-graph .name { font-weight: 600; }
.flow-graph .edge { fill: none; stroke: #555; stroke-width: 1.2; }
.flow-graph .edge.link { stroke-dasharray: 4 3; }
.flow-graph .arrowhead, .flow-graph .start { fill: #555; }
.diagnostics { white-space: pre-wrap; overflow-wrap: anywhere; color: #b00020; }
.reload.failed { border-left: 4px solid #b00020; padding-left: .5rem; }
.tag { font-size: .75rem; border: 1px solid #8888; border-radius: .3rem; padding: 0 .25rem; }
ol.edges { margin: 0; padding-left: 1.2rem; }
tr.failed td { background: #b0002014; }
td.body { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 30rem; }
form.broadcast { display: grid; gap: .5rem; max-width: 40rem; }
select { font: inherit; padding: .3rem .5rem; }
.notice { font-weight: 600; }
svg.chart { width: 100%; max-width: 40rem; height: auto; }
svg.chart .in, .key-in::before { fill: #7a8899; background: #7a8899; }
svg.chart .out, .key-out::before { fill: var(--accent); background: var(--accent); }
.key-in::before, .key-out::before { content: ""; display: inline-block; width: .7em; height: .7em;
  margin-right: .25em; }
svg.chart text { font-size: 9px; fill: currentColor; }
@media (max-width: 40rem) { .logout { margin-left: 0; } main { padding: .5rem; } }
)css";

}  // namespace parley::admin::web::templates
