// Netlink constants shared by the sock_diag lookups, the sock_diag dump and the process-events connector (linux/netlink.h,
// linux/sock_diag.h, linux/inet_diag.h), declared once.
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_SOCK_DIAG = 4;
export const NETLINK_CONNECTOR = 11;
export const IPPROTO_TCP = 6;
export const SOCK_DIAG_BY_FAMILY = 20;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_DUMP = 0x300;
export const MSG_DONTWAIT = 0x40;
export const NLMSGHDR_BYTES = 16;
/** nlmsghdr + inet_diag_req_v2. */
export const INET_DIAG_REQUEST_BYTES = NLMSGHDR_BYTES + 56;
/** inet_diag_msg: family, state, timer, retrans (4), inet_diag_sockid (sport, dport, src[16], dst[16], if, cookie[2]: 48), expires, rqueue, wqueue (12), uid, inode. */
export const INET_DIAG_MSG = { sport: 4, dport: 6, src: 8, dst: 24, uid: 64, inode: 68, bytes: 72 } as const;
