(function () {
  var ths = document.querySelectorAll('table.sortable th');
  Array.prototype.forEach.call(ths, function (th) {
    th.addEventListener('click', function () {
      var table = th.closest('table'), body = table.tBodies[0], i = th.cellIndex;
      var asc = th.getAttribute('data-dir') !== 'asc';
      Array.prototype.forEach.call(table.querySelectorAll('th'), function (h) { h.removeAttribute('data-dir'); });
      th.setAttribute('data-dir', asc ? 'asc' : 'desc');
      var num = th.classList.contains('num');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[i].getAttribute('data-v'), y = b.cells[i].getAttribute('data-v'), c;
        if (num) {
          x = parseFloat(x); y = parseFloat(y);
          if (isNaN(x)) { x = Infinity; } if (isNaN(y)) { y = Infinity; }
          c = x === y ? 0 : (x < y ? -1 : 1);
        } else {
          c = x < y ? -1 : (x > y ? 1 : 0);
        }
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  var box = document.getElementById('failing-only');
  if (box) {
    box.addEventListener('change', function () {
      var rows = document.querySelectorAll('#tensors tbody tr');
      Array.prototype.forEach.call(rows, function (r) {
        r.hidden = box.checked && !r.classList.contains('fail');
      });
    });
  }
  var m = /^#sort=(\d+)(-desc)?$/.exec(location.hash);
  if (m && ths[+m[1]]) { ths[+m[1]].click(); if (m[2]) { ths[+m[1]].click(); } }
  if (box && location.hash === '#failing') { box.click(); }
})();
