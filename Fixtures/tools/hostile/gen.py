import sys, struct, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zb import Zip, tree
TREES=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'trees')
U=tree(os.path.join(TREES, 'up-to-date-sr1'))
P=tree(os.path.join(TREES, 'patch-needed-sr1'))
old=dict(P)['WINDOWS/SYSTEM/EMSMDB32.DLL']
def plain(t, **kw):
    z=Zip(kw.pop('prefix',b''))
    for n,d in t: z.add(n,d,**kw)
    return z
def w(name,b): open(name,'wb').write(b)
w('base-up.zip', plain(U).finish())
w('base-pn.zip', plain(P).finish())
# fake EOCD in comment: empty directory
z=plain(P); fake=struct.pack('<IHHHHIIH',0x06054b50,0,0,0,0,0,0,0); w('fake-eocd-empty.zip', z.finish(comment=b'hello'+fake))
# fake EOCD in comment pointing at a fake CD inside the comment
z=plain(P)
cdoff=len(z.buf); cd=z.cdbytes()
realeocd_len=22
commentstart=cdoff+len(cd)+22
fz=Zip(); fz.cd=[dict(name=b'readme.txt',crc=0,cs=10,us=10,off=0,flags=0,method=0,zip64=False,extattr=0,made=0x031e,cextra=b'')]
fcd=fz.cdbytes()
fake=fcd+struct.pack('<IHHHHIIH',0x06054b50,0,0,1,1,len(fcd),commentstart,0)
w('fake-eocd-cd.zip', z.finish(comment=fake))
# central name lies: extra entry local name EMSMDB32 (old) central name readme.txt
z=plain(U); z.add('WINDOWS/SYSTEM/EMSMDB32.DLL', old, cname='readme.txt'); w('cd-hides.zip', z.finish())
# descriptor, stored and deflated
w('stored-bit3.zip', plain(U,method=0,descriptor=True).finish())
w('deflate-bit3.zip', plain(U,method=8,descriptor=True).finish())
w('zip64.zip', plain(U,zip64=True).finish(zip64eocd=True))
# wanted entry offset past end
z=plain(P); z.cd[3]['off']=10**9; w('off-past-end.zip', z.finish())
z=plain(P); z.cd[3]['cs']=0xfffffff0; w('csize-huge.zip', z.finish())
z=plain(P); z.cd[3]['cs']=5*10**6; w('csize-past-end.zip', z.finish())
# concatenated: pn zip then up zip with unadjusted offsets
w('concat.zip', plain(P).finish()+plain(U).finish())
w('concat-rev.zip', plain(U).finish()+plain(P).finish())
# sfx unadjusted / adjusted
pre=b'MZ'+os.urandom(3000)
w('sfx-unadj.zip', pre+plain(U).finish())
z=Zip(pre); [z.add(n,d) for n,d in U]; w('sfx-adj.zip', z.finish())
# duplicates: old after new
z=plain(U); z.add('WINDOWS/SYSTEM/EMSMDB32.DLL', old); w('dup-old-last.zip', z.finish())
# same name, different case
z=plain(U); z.add('windows/system/emsmdb32.dll', old); w('dup-case.zip', z.finish())
# symlink entry named EMSMDB32.DLL (unix mode 0120777) pointing to the real one elsewhere
z=Zip()
for n,d in U:
    if n.endswith('EMSMDB32.DLL'):
        z.add('backup/EMSMDB32.DLL', d)
        z.add(n, b'../../backup/EMSMDB32.DLL', method=0, extattr=(0o120777<<16))
    else: z.add(n,d)
w('symlink.zip', z.finish())
# name with trailing slash but data (a "directory" with data)
z=plain([(n,d) for n,d in U if not n.endswith('EMSMDB32.DLL')]); z.add('WINDOWS/SYSTEM/EMSMDB32.DLL/', old); w('slashdir.zip', z.finish())
# unix directory attr on file name without slash
z=plain(U); z.cd[3]['extattr']=(0o040755<<16)|0x10; w('dirattr.zip', z.finish())
# backslash + ./ + // names
z=Zip(); [z.add(n.replace('/','\\'),d) for n,d in U]; w('backslash.zip', z.finish())
z=Zip(); [z.add('./'+n.replace('/','//'),d) for n,d in U]; w('doubleslash.zip', z.finish())
