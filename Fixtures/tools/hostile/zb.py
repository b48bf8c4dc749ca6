# low-level zip builder
import struct, zlib, os
def tree(root):
    out=[]
    for r,ds,fs in sorted(os.walk(root)):
        ds.sort()
        for f in sorted(fs):
            p=os.path.join(r,f); out.append((os.path.relpath(p,root), open(p,'rb').read()))
    return out
class Zip:
    def __init__(s, prefix=b''):
        s.buf=bytearray(prefix); s.cd=[]; s.base=0
    def add(s, name, data, method=8, flags=0, lname=None, cname=None, descriptor=False, zip64=False, cd_csize=None, cd_off=None, extattr=0, made=0x031e, lextra=b'', cextra=b''):
        name=name.encode() if isinstance(name,str) else name
        lname = name if lname is None else (lname.encode() if isinstance(lname,str) else lname)
        cname = name if cname is None else (cname.encode() if isinstance(cname,str) else cname)
        crc=zlib.crc32(data)
        comp = data if method==0 else (lambda c: c.compress(data)+c.flush())(zlib.compressobj(9,zlib.DEFLATED,-15))
        if descriptor: flags|=8
        off=len(s.buf)-s.base
        lc,lcs,lus=(0,0,0) if descriptor else (crc,len(comp),len(data))
        le=lextra
        if zip64 and not descriptor:
            le=struct.pack('<HHQQ',1,16,len(data),len(comp))+le; lcs=lus=0xffffffff
        s.buf+=struct.pack('<IHHHHHIIIHH',0x04034b50,45 if zip64 else 20,flags,method,0,0x21,lc,lcs,lus,len(lname),len(le))+lname+le+comp
        if descriptor:
            s.buf+=struct.pack('<IIII',0x08074b50,crc,len(comp),len(data))
        s.cd.append(dict(name=cname,crc=crc,cs=len(comp) if cd_csize is None else cd_csize,us=len(data),off=off if cd_off is None else cd_off,flags=flags,method=method,zip64=zip64,extattr=extattr,made=made,cextra=cextra))
    def cdbytes(s):
        b=bytearray()
        for e in s.cd:
            cs,us,off,ex=e['cs'],e['us'],e['off'],e['cextra']
            if e['zip64']:
                ex=struct.pack('<HHQQQ',1,24,us,cs,off)+ex; cs=us=off=0xffffffff
            b+=struct.pack('<IHHHHHHIIIHHHHHII',0x02014b50,e['made'],45 if e['zip64'] else 20,e['flags'],e['method'],0,0x21,e['crc'],cs,us,len(e['name']),len(ex),0,0,0,e['extattr'],off)+e['name']+ex
        return bytes(b)
    def finish(s, comment=b'', total=None, zip64eocd=False):
        cdoff=len(s.buf)-s.base; cd=s.cdbytes(); s.buf+=cd
        n=len(s.cd) if total is None else total
        if zip64eocd:
            z64=len(s.buf)-s.base
            s.buf+=struct.pack('<IQHHIIQQQQ',0x06064b50,44,45,45,0,0,n,n,len(cd),cdoff)
            s.buf+=struct.pack('<IIQI',0x07064b50,0,z64,1)
            s.buf+=struct.pack('<IHHHHIIH',0x06054b50,0,0,0xffff,0xffff,0xffffffff,0xffffffff,len(comment))+comment
        else:
            s.buf+=struct.pack('<IHHHHIIH',0x06054b50,0,0,n,n,len(cd),cdoff,len(comment))+comment
        return bytes(s.buf)
