"""pipec expression runtime (mirrors src/expr): None is SQL NULL, Kleene AND/OR/NOT, checked i64 ints, exact int/float compare, non-finite floats are NULL."""
import math,operator as O,re,functools,datetime as D
_M=1<<63
def _i(v):return v if -_M<=v<_M else None
def _x(v):return v if math.isfinite(v) else None
def _f(v):return None if v is None else float(v)
def _a(o):
 def f(a,b):
  if a is None or b is None:return None
  if type(a) is int and type(b) is int:return _i(o(a,b))
  return _x(o(float(a),float(b)))
 return f
_add,_sub,_mul=map(_a,(O.add,O.sub,O.mul))
def _div(a,b):return None if a is None or b is None or b==0 else _x(float(a)/float(b))
def _mod(a,b):
 if a is None or b is None or b==0:return None
 if type(a) is int and type(b) is int:r=abs(a)%abs(b);return -r if a<0 else r
 return _x(math.fmod(a,b))
def _neg(a):return None if a is None else _i(-a) if type(a) is int else -a
def _c(o):return lambda a,b:None if a is None or b is None else o(a,b)
_eq,_ne,_lt,_le,_gt,_ge=map(_c,(O.eq,O.ne,O.lt,O.le,O.gt,O.ge))
def _not(a):return None if a is None else not a
def _and(a,b):return False if a is False or b is False else None if a is None or b is None else True
def _or(a,b):return True if a is True or b is True else None if a is None or b is None else False
def _in(x,v):
 if x is None:return None
 if any(e is not None and e==x for e in v):return True
 return None if None in v else False
def _btw(x,a,b):return _and(_ge(x,a),_le(x,b))
@functools.lru_cache(256)
def _rx(p):return re.compile(''.join('.*' if c=='%' else '.' if c=='_' else re.escape(c) for c in p),re.S)
def _like(x,p):return None if x is None else _rx(p).fullmatch(x) is not None
def _now():return D.datetime.now(D.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:23]+'Z'
_TS=re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})')
def validate(r,s):
 for n,t,q,m in s:
  v=r.get(n);k=type(v)
  if v is None:
   if q:return n+': required'
  elif not(k is int and -_M<=v<_M if t=='int' else k in(int,float) and(v==0 or 1e-130<=abs(v)<1e126) if t=='float' else k is bool if t=='bool' else k is str and(m is None or len(v)<=m) if t=='string' else k is str and _TS.fullmatch(v)):return n+': expected '+t
def _acc_new(s):return[[0,None] for _ in s]
def _acc_feed(s,st,r):
 for(k,n,fl),a in zip(s,st):
  v=1 if n is None else r.get(n)
  if v is None:continue
  if fl:v=float(v)
  a[0]+=1;c=a[0]==1
  if k in('sum','avg'):a[1]=v if c else a[1]+v
  elif k=='min':a[1]=v if c or v<a[1] else a[1]
  elif k=='max':a[1]=v if c or v>a[1] else a[1]
def _acc_end(s,st):return[c if k=='count' else None if c==0 else(_x(v) if fl else _i(v))if k=='sum' else _x(float(v)/c)if k=='avg' else v for(k,n,fl),(c,v) in zip(s,st)]
