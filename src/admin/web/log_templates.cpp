#include "admin/web/log_templates.hpp"

namespace parley::admin::web::templates {

const std::string_view kMessages = R"html(<h1>Messages</h1>
<form class="search filters" method="get" action="/admin/messages" role="search">
<label for="direction">Direction</label>
<select id="direction" name="direction">
<option value="">any</option>
<option value="inbound"{{#in}} selected{{/in}}>inbound</option>
<option value="outbound"{{#out}} selected{{/out}}>outbound</option>
</select>
<label for="status">Status</label>
<select id="status" name="status">
<option value="">any</option>
{{#statuses}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>
{{/statuses}}
</select>
<label for="error">Error code</label>
<input id="error" name="error" inputmode="numeric" size="6" value="{{error}}">
<label for="from">From (UTC)</label>
<input id="from" name="from" type="datetime-local" value="{{from}}">
<label for="until">Until (UTC)</label>
<input id="until" name="until" type="datetime-local" value="{{until}}">
<button type="submit">Filter</button>
</form>
{{#has_messages}}
<table class="messages">
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Direction</th><th scope="col">Contact</th>
<th scope="col">Message</th><th scope="col">Status</th><th scope="col">Error</th></tr></thead>
<tbody>
{{#messages}}<tr{{#failed}} class="failed"{{/failed}}><td>{{at}}</td><td>{{direction}}</td>
<td><a href="/admin/contacts/{{contact_id}}">{{contact}}</a></td><td class="body">{{body}}</td>
<td>{{#failed}}<strong class="error-code">{{status}}</strong>{{/failed}}{{^failed}}{{status}}{{/failed}}</td>
<td>{{#error_code}}<span class="error-code">{{error_code}}</span>{{/error_code}}</td></tr>
{{/messages}}
</tbody>
</table>
{{/has_messages}}
{{^has_messages}}<p class="empty">No messages match.</p>{{/has_messages}}
{{#next}}<p><a rel="next" href="{{next}}">Older messages</a></p>{{/next}}
)html";

const std::string_view kBroadcastForm = R"html(<h1>Broadcast</h1>
<p>Start a flow for many contacts at once. Paste one contact a line (<code>number,name</code>),
or upload a CSV file whose first line names the columns (<code>phone,name,city</code>: the
number first, <code>name</code> the contact's name, any other column a field). You see a
preview before anything is queued.</p>
{{#message}}<p class="error" role="alert">{{message}}</p>{{/message}}
<form class="broadcast" method="post" action="/admin/broadcast/preview" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{{csrf}}">
<label for="flow">Flow</label>
<select id="flow" name="flow" required>
{{#flows}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{id}}</option>
{{/flows}}
</select>
<label for="list">Contacts</label>
<textarea id="list" name="list" rows="8">{{list}}</textarea>
<label for="file">Or a CSV file</label>
<input id="file" name="file" type="file" accept=".csv,text/csv,text/plain">
<button type="submit">Preview</button>
</form>
{{#has_broadcasts}}
<h2>Recent broadcasts</h2>
<table>
<thead><tr><th scope="col">Broadcast</th><th scope="col">Flow</th><th scope="col">By</th>
<th scope="col">Created (UTC)</th><th scope="col">Status</th><th scope="col">Started</th>
<th scope="col">Failed</th><th scope="col">Total</th></tr></thead>
<tbody>
{{#broadcasts}}<tr><td><a href="/admin/broadcasts/{{id}}">#{{id}}</a></td><td>{{flow}}</td>
<td>{{by}}</td><td>{{created}}</td><td>{{status}}</td><td class="num">{{started}}</td>
<td class="num">{{failed}}</td><td class="num">{{total}}</td></tr>
{{/broadcasts}}
</tbody>
</table>
{{/has_broadcasts}}
)html";

const std::string_view kBroadcastPreview = R"html(<h1>Broadcast preview</h1>
<p>Nothing is queued yet. Flow <strong id="preview-flow">{{flow}}</strong>.</p>
<dl class="numbers">
<div><dt>Will start</dt><dd id="count-start">{{start}}</dd></div>
<div><dt>Valid</dt><dd id="count-valid">{{valid}}</dd></div>
<div><dt>Invalid</dt><dd id="count-invalid">{{invalid_count}}</dd></div>
<div><dt>Opted out or not active</dt><dd id="count-opted-out">{{opted_out}}</dd></div>
<div><dt>Already in a session</dt><dd id="count-in-session">{{in_session}}</dd></div>
</dl>
{{#has_invalid}}
<h2>Invalid lines</h2>
<table class="invalid">
<thead><tr><th scope="col">Line</th><th scope="col">Why</th></tr></thead>
<tbody>
{{#invalid}}<tr><td class="num">{{line}}</td><td>{{reason}}</td></tr>
{{/invalid}}
</tbody>
</table>
{{#more_invalid}}<p>… and {{more_invalid}} more.</p>{{/more_invalid}}
{{/has_invalid}}
<p>Contacts that are opted out (or invalid, or blocked) and invalid lines are skipped.
Contacts already in a session are skipped unless you restart them below (their session
ends as <em>restarted</em>).</p>
<form class="broadcast" method="post" action="/admin/broadcast">
<input type="hidden" name="csrf" value="{{csrf}}">
<input type="hidden" name="flow" value="{{flow}}">
<details><summary>The list</summary>
<label for="confirm-list">Contacts</label>
<textarea id="confirm-list" name="list" rows="8" readonly>
{{list}}</textarea>
</details>
<label><input type="checkbox" name="restart" value="1"{{#restart}} checked{{/restart}}> Also restart the {{in_session}} contacts already in a session</label>
<button type="submit">Queue the broadcast</button>
</form>
<p><a href="/admin/broadcast">Start again</a></p>
)html";

const std::string_view kBroadcastProgress = R"html(<h1>Broadcast #{{id}}</h1>
<p>Flow <strong>{{flow}}</strong>, by {{by}}, {{created}} UTC. Status: <strong id="broadcast-status">{{status}}</strong>{{#finished}}, finished {{finished}} UTC{{/finished}}.</p>
<dl class="numbers">
<div><dt>Queued</dt><dd id="count-queued">{{queued}}</dd></div>
<div><dt>Started</dt><dd id="count-started">{{started}}</dd></div>
<div><dt>Failed</dt><dd id="count-failed">{{failed}}</dd></div>
<div><dt>Total</dt><dd id="count-total">{{total}}</dd></div>
</dl>
{{^done}}<p>Reload the page to see the progress.</p>
<p><a href="/admin/broadcasts/{{id}}">Reload</a></p>{{/done}}
<p>The flow's messages go out through the sender at the configured rates; see them in
<a href="/admin/messages?direction=outbound">the message log</a>.</p>
<section aria-labelledby="failures">
<h2 id="failures">Failed recipients</h2>
{{#has_failures}}<table class="failures">
<thead><tr><th scope="col">Number</th><th scope="col">Name</th><th scope="col">Why</th></tr></thead>
<tbody>
{{#failures}}<tr><td>{{#contact}}<a href="/admin/contacts/{{contact}}">{{number}}</a>{{/contact}}{{^contact}}{{number}}{{/contact}}</td><td>{{name}}</td><td>{{reason}}</td></tr>
{{/failures}}</tbody>
</table>
<p class="pages">{{#next}}<a rel="next" href="{{next}}">More failed recipients</a>{{/next}}
{{#first}} <a href="{{first}}">First failed recipients</a>{{/first}}</p>
<p><a href="/admin/broadcasts/{{id}}/failed.csv" download>Download them as CSV</a>: fix the
numbers, delete the <code>reason</code> column, and paste or upload it in a new broadcast.</p>{{/has_failures}}
{{^has_failures}}<p class="empty">None{{^done}} so far{{/done}}.</p>{{/has_failures}}
</section>
)html";

}  // namespace parley::admin::web::templates
