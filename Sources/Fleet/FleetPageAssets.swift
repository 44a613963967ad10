/// The fleet page's inline style and script (no network: the page works from a file).
enum FleetPageAssets {
    static let css = """
    body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222;background:#fafafa}
    h1{font-size:1.4em;margin:0}h2{margin:1.2em 0 .4em}h3{font-size:1em;margin:.8em 0 .3em}
    header{display:flex;gap:1.5em;align-items:baseline;flex-wrap:wrap}.when,#summary{color:#555;margin:0}
    nav{position:sticky;top:0;background:#fafafa;padding:.5em 0;display:flex;gap:1em;flex-wrap:wrap;border-bottom:1px solid #ddd}
    table{border-collapse:collapse;margin:.3em 0;width:100%}th,td{text-align:left;padding:2px 8px;border-bottom:1px solid #e4e4e4;vertical-align:top}
    th{background:#eee;font-weight:600}table.channels{width:auto}.version{font-weight:600}.name{font-family:monospace;white-space:nowrap}
    .state{font-weight:600;border-radius:3px}.s-in-sync{color:#17692a;background:#dcf5e1}
    .s-deploying,.s-waiting{color:#7a5a00;background:#fff1c2}
    .s-failed,.s-refused,.s-misconfigured,.s-expired{color:#fff;background:#c62828}.s-stopping,.s-stopped{color:#6a1b6a;background:#f3dcf3}
    .flag{font-size:.85em;padding:0 4px;border-radius:3px;white-space:nowrap}.stale{background:#8e24aa;color:#fff}
    .pinned{background:#ffcc80}.expiring{background:#ffe082}td.expiring{font-weight:600}
    .failure{max-width:40em;word-break:break-word}.warning{background:#fff3cd;padding:4px 8px}
    .unreadable{background:#fde0e0;padding:4px 8px}.flag.drifted,span.drifted{background:#ef6c00;color:#fff}.flag.unhealthy,.h-unhealthy{background:#c62828;color:#fff}.h-baking{background:#fff3c4}.h-healthy{color:#1b5e20}
    .drift{font-size:.9em}.wave{text-align:center}ol.timeline{padding-left:1.2em}.key{font-family:monospace}
    """

    /// Applies `#channel=…&version=…&state=…&drift=…&q=…` (or the same as a query) on load, keeps
    /// the fragment in step with the controls, and hides the silo rows that do not match.
    static let script = """
    (function(){
    var controls=document.querySelectorAll('[data-filter]');
    var rows=document.querySelectorAll('tr.silo');
    function apply(){
      var f={};controls.forEach(function(c){f[c.dataset.filter]=c.value.trim().toLowerCase();});
      var shown=0;
      for(var i=0;i<rows.length;i++){var r=rows[i],d=r.dataset;
        var ok=(!f.channel||d.channel.toLowerCase()===f.channel)
          &&(!f.version||d.version.split(' ').indexOf(f.version)>=0)
          &&(!f.state||d.state.split(' ').indexOf(f.state)>=0)
          &&(!f.drift||d.drift===f.drift)
          &&(!f.q||d.q.indexOf(f.q)>=0);
        r.hidden=!ok;if(ok)shown++;}
      document.getElementById('shown').textContent=shown+' of '+rows.length+' silos shown';
      document.body.dataset.shown=shown;
    }
    function read(){
      var p=new URLSearchParams(location.hash.length>1?location.hash.slice(1):location.search.slice(1));
      controls.forEach(function(c){var v=p.get(c.dataset.filter);if(v!==null)c.value=v;});
    }
    function write(){
      var p=new URLSearchParams();controls.forEach(function(c){if(c.value)p.set(c.dataset.filter,c.value);});
      history.replaceState(null,'',p.toString()?'#'+p.toString():location.pathname+location.search);
    }
    controls.forEach(function(c){c.addEventListener('input',function(){apply();write();});});
    window.addEventListener('hashchange',function(){read();apply();});
    read();apply();
    document.body.dataset.readyMs=Math.round(performance.now());
    })();
    """
}
