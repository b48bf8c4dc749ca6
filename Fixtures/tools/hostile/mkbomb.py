import tarfile,sys,os,io
# tar of a tree followed by one huge zero entry, streamed to stdout
tree=sys.argv[1]; huge=int(sys.argv[2]); last=sys.argv[3] if len(sys.argv)>3 else 'junk.bin'
out=sys.stdout.buffer
class W:
    def write(self,b): out.write(b)
tf=tarfile.open(fileobj=W(),mode='w|',format=tarfile.PAX_FORMAT)
for root,dirs,files in sorted(os.walk(tree)):
    for f in sorted(files):
        p=os.path.join(root,f); tf.add(p,arcname=os.path.relpath(p,tree))
class Z(io.RawIOBase):
    def __init__(s,n): s.n=n
    def readable(s): return True
    def readinto(s,b):
        k=min(len(b),s.n); b[:k]=bytes(k); s.n-=k; return k
ti=tarfile.TarInfo(last); ti.size=huge
tf.addfile(ti,io.BufferedReader(Z(huge),1<<20))
tf.close()
