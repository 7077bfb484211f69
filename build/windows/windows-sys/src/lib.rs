//! The items of windows-sys 0.36 that mio 0.8.4 uses, with windows-sys's names, types and
//! layouts, linked against mingw-w64's import libraries (kernel32, ntdll, ws2_32).
//!
//! Debian's mio 0.8.4 still calls windows-sys on Windows but dropped the dependency (windows-sys
//! is not packaged). scripts/build-windows puts this crate in its place with a [patch]; only the
//! Windows cross-build uses it. Declarations follow the Windows SDK headers (winbase.h,
//! winsock2.h, ws2ipdef.h, winternl.h, ioapiset.h, namedpipeapi.h).
#![no_std]
#![allow(non_camel_case_types, non_snake_case, clippy::upper_case_acronyms)]

pub mod Win32 {
    pub mod Foundation {
        pub type BOOL = i32;
        pub type HANDLE = isize;
        pub type NTSTATUS = i32;
        pub type PWSTR = *mut u16;
        pub type WIN32_ERROR = u32;

        pub const INVALID_HANDLE_VALUE: HANDLE = -1;

        pub const ERROR_INVALID_HANDLE: WIN32_ERROR = 6;
        pub const ERROR_BROKEN_PIPE: WIN32_ERROR = 109;
        pub const ERROR_NO_DATA: WIN32_ERROR = 232;
        pub const WAIT_TIMEOUT: WIN32_ERROR = 258;
        pub const ERROR_PIPE_CONNECTED: WIN32_ERROR = 535;
        pub const ERROR_PIPE_LISTENING: WIN32_ERROR = 536;
        pub const ERROR_IO_INCOMPLETE: WIN32_ERROR = 996;
        pub const ERROR_IO_PENDING: WIN32_ERROR = 997;

        pub const STATUS_SUCCESS: NTSTATUS = 0;
        pub const STATUS_PENDING: NTSTATUS = 0x0000_0103;
        pub const STATUS_CANCELLED: NTSTATUS = 0xC000_0120_u32 as i32;
        pub const STATUS_NOT_FOUND: NTSTATUS = 0xC000_0225_u32 as i32;

        #[repr(C)]
        #[derive(Clone, Copy)]
        pub struct UNICODE_STRING {
            pub Length: u16,
            pub MaximumLength: u16,
            pub Buffer: PWSTR,
        }

        #[link(name = "kernel32")]
        extern "system" {
            pub fn CloseHandle(hobject: HANDLE) -> BOOL;
        }

        #[link(name = "ntdll")]
        extern "system" {
            pub fn RtlNtStatusToDosError(status: NTSTATUS) -> u32;
        }
    }

    pub mod Security {
        #[repr(C)]
        #[derive(Clone, Copy)]
        pub struct SECURITY_ATTRIBUTES {
            pub nLength: u32,
            pub lpSecurityDescriptor: *mut core::ffi::c_void,
            pub bInheritHandle: super::Foundation::BOOL,
        }
    }

    pub mod Networking {
        pub mod WinSock {
            use crate::Win32::System::IO::OVERLAPPED;
            use core::ffi::c_void;

            pub type SOCKET = usize;
            pub type ADDRESS_FAMILY = u32;
            pub type IPPROTO = i32;
            pub type WSA_ERROR = i32;
            pub type LPWSAOVERLAPPED_COMPLETION_ROUTINE = Option<
                unsafe extern "system" fn(
                    dwerror: u32,
                    cbtransferred: u32,
                    lpoverlapped: *mut OVERLAPPED,
                    dwflags: u32,
                ),
            >;

            pub const INVALID_SOCKET: SOCKET = !0;
            pub const SOCKET_ERROR: i32 = -1;
            pub const AF_INET: ADDRESS_FAMILY = 2;
            pub const AF_INET6: ADDRESS_FAMILY = 23;
            pub const SOCK_STREAM: u16 = 1;
            pub const SOCK_DGRAM: u16 = 2;
            pub const IPPROTO_IPV6: IPPROTO = 41;
            pub const IPV6_V6ONLY: i32 = 27;
            // _IOW('f', 126, u_long)
            pub const FIONBIO: i32 = 0x8004_667E_u32 as i32;
            // _WSAIORW(IOC_WS2, 34), _WSAIOR(IOC_WS2, 27), (IOC_WS2, 28), (IOC_WS2, 29)
            pub const SIO_BASE_HANDLE: u32 = 0x4800_0022;
            pub const SIO_BSP_HANDLE: u32 = 0x4800_001B;
            pub const SIO_BSP_HANDLE_SELECT: u32 = 0x4800_001C;
            pub const SIO_BSP_HANDLE_POLL: u32 = 0x4800_001D;

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct IN_ADDR {
                pub S_un: IN_ADDR_0,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub union IN_ADDR_0 {
                pub S_un_b: [u8; 4],
                pub S_un_w: [u16; 2],
                pub S_addr: u32,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct IN6_ADDR {
                pub u: IN6_ADDR_0,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub union IN6_ADDR_0 {
                pub Byte: [u8; 16],
                pub Word: [u16; 8],
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct SOCKADDR {
                pub sa_family: u16,
                pub sa_data: [u8; 14],
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct SOCKADDR_IN {
                pub sin_family: u16,
                pub sin_port: u16,
                pub sin_addr: IN_ADDR,
                pub sin_zero: [u8; 8],
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct SOCKADDR_IN6 {
                pub sin6_family: u16,
                pub sin6_port: u16,
                pub sin6_flowinfo: u32,
                pub sin6_addr: IN6_ADDR,
                pub Anonymous: SOCKADDR_IN6_0,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub union SOCKADDR_IN6_0 {
                pub sin6_scope_id: u32,
                pub sin6_scope_struct: u32,
            }

            #[link(name = "ws2_32")]
            extern "system" {
                pub fn socket(af: i32, r#type: i32, protocol: i32) -> SOCKET;
                pub fn ioctlsocket(s: SOCKET, cmd: i32, argp: *mut u32) -> i32;
                pub fn bind(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32;
                pub fn connect(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32;
                pub fn listen(s: SOCKET, backlog: i32) -> i32;
                pub fn closesocket(s: SOCKET) -> i32;
                pub fn getsockopt(
                    s: SOCKET,
                    level: i32,
                    optname: i32,
                    optval: *mut u8,
                    optlen: *mut i32,
                ) -> i32;
                pub fn WSAGetLastError() -> WSA_ERROR;
                pub fn WSAIoctl(
                    s: SOCKET,
                    dwiocontrolcode: u32,
                    lpvinbuffer: *const c_void,
                    cbinbuffer: u32,
                    lpvoutbuffer: *mut c_void,
                    cboutbuffer: u32,
                    lpcbbytesreturned: *mut u32,
                    lpoverlapped: *mut OVERLAPPED,
                    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
                ) -> i32;
            }
        }
    }

    pub mod Storage {
        pub mod FileSystem {
            use crate::Win32::Foundation::{BOOL, HANDLE, NTSTATUS};
            use crate::Win32::System::WindowsProgramming::{IO_STATUS_BLOCK, OBJECT_ATTRIBUTES};
            use crate::Win32::System::IO::OVERLAPPED;
            use core::ffi::c_void;

            pub type FILE_ACCESS_FLAGS = u32;
            pub type FILE_FLAGS_AND_ATTRIBUTES = u32;
            pub type FILE_SHARE_MODE = u32;
            pub type NTCREATEFILE_CREATE_DISPOSITION = u32;
            pub type NTCREATEFILE_CREATE_OPTIONS = u32;

            pub const SYNCHRONIZE: FILE_ACCESS_FLAGS = 0x0010_0000;
            pub const FILE_SHARE_READ: FILE_SHARE_MODE = 1;
            pub const FILE_SHARE_WRITE: FILE_SHARE_MODE = 2;
            pub const FILE_OPEN: NTCREATEFILE_CREATE_DISPOSITION = 1;
            pub const PIPE_ACCESS_DUPLEX: FILE_FLAGS_AND_ATTRIBUTES = 3;
            pub const FILE_FLAG_FIRST_PIPE_INSTANCE: FILE_FLAGS_AND_ATTRIBUTES = 0x0008_0000;
            pub const FILE_FLAG_OVERLAPPED: FILE_FLAGS_AND_ATTRIBUTES = 0x4000_0000;

            #[link(name = "kernel32")]
            extern "system" {
                pub fn ReadFile(
                    hfile: HANDLE,
                    lpbuffer: *mut c_void,
                    nnumberofbytestoread: u32,
                    lpnumberofbytesread: *mut u32,
                    lpoverlapped: *mut OVERLAPPED,
                ) -> BOOL;
                pub fn WriteFile(
                    hfile: HANDLE,
                    lpbuffer: *const c_void,
                    nnumberofbytestowrite: u32,
                    lpnumberofbyteswritten: *mut u32,
                    lpoverlapped: *mut OVERLAPPED,
                ) -> BOOL;
                pub fn SetFileCompletionNotificationModes(filehandle: HANDLE, flags: u8) -> BOOL;
            }

            #[link(name = "ntdll")]
            extern "system" {
                pub fn NtCreateFile(
                    filehandle: *mut HANDLE,
                    desiredaccess: FILE_ACCESS_FLAGS,
                    objectattributes: *mut OBJECT_ATTRIBUTES,
                    iostatusblock: *mut IO_STATUS_BLOCK,
                    allocationsize: *mut i64,
                    fileattributes: FILE_FLAGS_AND_ATTRIBUTES,
                    shareaccess: FILE_SHARE_MODE,
                    createdisposition: NTCREATEFILE_CREATE_DISPOSITION,
                    createoptions: NTCREATEFILE_CREATE_OPTIONS,
                    eabuffer: *mut c_void,
                    ealength: u32,
                ) -> NTSTATUS;
            }
        }
    }

    pub mod System {
        pub mod IO {
            use crate::Win32::Foundation::{BOOL, HANDLE};
            use core::ffi::c_void;

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct OVERLAPPED {
                pub Internal: usize,
                pub InternalHigh: usize,
                pub Anonymous: OVERLAPPED_0,
                pub hEvent: HANDLE,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub union OVERLAPPED_0 {
                pub Anonymous: OVERLAPPED_0_0,
                pub Pointer: *mut c_void,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct OVERLAPPED_0_0 {
                pub Offset: u32,
                pub OffsetHigh: u32,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct OVERLAPPED_ENTRY {
                pub lpCompletionKey: usize,
                pub lpOverlapped: *mut OVERLAPPED,
                pub Internal: usize,
                pub dwNumberOfBytesTransferred: u32,
            }

            #[link(name = "kernel32")]
            extern "system" {
                pub fn CreateIoCompletionPort(
                    filehandle: HANDLE,
                    existingcompletionport: HANDLE,
                    completionkey: usize,
                    numberofconcurrentthreads: u32,
                ) -> HANDLE;
                pub fn GetQueuedCompletionStatusEx(
                    completionport: HANDLE,
                    lpcompletionportentries: *mut OVERLAPPED_ENTRY,
                    ulcount: u32,
                    ulnumentriesremoved: *mut u32,
                    dwmilliseconds: u32,
                    falertable: BOOL,
                ) -> BOOL;
                pub fn PostQueuedCompletionStatus(
                    completionport: HANDLE,
                    dwnumberofbytestransferred: u32,
                    dwcompletionkey: usize,
                    lpoverlapped: *const OVERLAPPED,
                ) -> BOOL;
                pub fn CancelIoEx(hfile: HANDLE, lpoverlapped: *const OVERLAPPED) -> BOOL;
                pub fn GetOverlappedResult(
                    hfile: HANDLE,
                    lpoverlapped: *const OVERLAPPED,
                    lpnumberofbytestransferred: *mut u32,
                    bwait: BOOL,
                ) -> BOOL;
            }
        }

        pub mod Pipes {
            use crate::Win32::Foundation::{BOOL, HANDLE};
            use crate::Win32::Security::SECURITY_ATTRIBUTES;
            use crate::Win32::Storage::FileSystem::FILE_FLAGS_AND_ATTRIBUTES;
            use crate::Win32::System::IO::OVERLAPPED;

            pub type NAMED_PIPE_MODE = u32;

            pub const PIPE_TYPE_BYTE: NAMED_PIPE_MODE = 0;
            pub const PIPE_UNLIMITED_INSTANCES: u32 = 255;

            #[link(name = "kernel32")]
            extern "system" {
                pub fn ConnectNamedPipe(hnamedpipe: HANDLE, lpoverlapped: *mut OVERLAPPED) -> BOOL;
                pub fn CreateNamedPipeW(
                    lpname: *const u16,
                    dwopenmode: FILE_FLAGS_AND_ATTRIBUTES,
                    dwpipemode: NAMED_PIPE_MODE,
                    nmaxinstances: u32,
                    noutbuffersize: u32,
                    ninbuffersize: u32,
                    ndefaulttimeout: u32,
                    lpsecurityattributes: *const SECURITY_ATTRIBUTES,
                ) -> HANDLE;
                pub fn DisconnectNamedPipe(hnamedpipe: HANDLE) -> BOOL;
            }
        }

        pub mod WindowsProgramming {
            use crate::Win32::Foundation::{HANDLE, NTSTATUS, UNICODE_STRING};
            use core::ffi::c_void;

            pub const FILE_SKIP_SET_EVENT_ON_HANDLE: u32 = 2;

            pub type PIO_APC_ROUTINE = Option<
                unsafe extern "system" fn(
                    apccontext: *mut c_void,
                    iostatusblock: *mut IO_STATUS_BLOCK,
                    reserved: u32,
                ),
            >;

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct IO_STATUS_BLOCK {
                pub Anonymous: IO_STATUS_BLOCK_0,
                pub Information: usize,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub union IO_STATUS_BLOCK_0 {
                pub Status: NTSTATUS,
                pub Pointer: *mut c_void,
            }

            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct OBJECT_ATTRIBUTES {
                pub Length: u32,
                pub RootDirectory: HANDLE,
                pub ObjectName: *mut UNICODE_STRING,
                pub Attributes: u32,
                pub SecurityDescriptor: *mut c_void,
                pub SecurityQualityOfService: *mut c_void,
            }

            #[link(name = "ntdll")]
            extern "system" {
                pub fn NtDeviceIoControlFile(
                    filehandle: HANDLE,
                    event: HANDLE,
                    apcroutine: PIO_APC_ROUTINE,
                    apccontext: *mut c_void,
                    iostatusblock: *mut IO_STATUS_BLOCK,
                    iocontrolcode: u32,
                    inputbuffer: *mut c_void,
                    inputbufferlength: u32,
                    outputbuffer: *mut c_void,
                    outputbufferlength: u32,
                ) -> NTSTATUS;
            }
        }
    }
}
