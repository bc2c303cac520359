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
{{#has_entries}}<ol class="transcript" id="transcript-list">
{{#entries}}<li class="msg {{direction}}"><span class="meta"><time>{{at}}</time> {{arrow}} {{#status}}<span class="status">{{status}}</span>{{/status}}{{#error_code}} <span class="error-code">error {{error_code}}</span>{{/error_code}}</span>
<span class="body">{{body}}</span>{{#media}}<span class="media">{{.}}</span>{{/media}}</li>
{{/entries}}</ol>{{/has_entries}}
{{^has_entries}}<p class="empty">No messages.</p>{{/has_entries}}
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
.error-code { color: #b00020; }
tr.failed td { background: #b0002014; }
td.body { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 30rem; }
form.broadcast { display: grid; gap: .5rem; max-width: 40rem; }
select { font: inherit; padding: .3rem .5rem; }
.notice { font-weight: 600; }
@media (max-width: 40rem) { .logout { margin-left: 0; } main { padding: .5rem; } }
)css";

}  // namespace parley::admin::web::templates
