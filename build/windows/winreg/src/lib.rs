//! The part of winreg 0.10 that reqwest 0.11.13 uses to read the user's proxy settings
//! (HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings, values ProxyEnable and
//! ProxyServer): `RegKey::predef`, `RegKey::open_subkey`, `RegKey::get_value` for `u32` and
//! `String`. Debian's reqwest dropped the dependency (winreg is not packaged);
//! scripts/build-windows puts this crate in its place with a [patch].
#![allow(clippy::upper_case_acronyms)]

use std::ffi::OsStr;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::ptr;

type HKEY = isize;
type LSTATUS = i32;

const KEY_READ: u32 = 0x0002_0019;
const REG_SZ: u32 = 1;
const REG_EXPAND_SZ: u32 = 2;
const REG_DWORD: u32 = 4;
const ERROR_MORE_DATA: LSTATUS = 234;

#[link(name = "advapi32")]
extern "system" {
    fn RegOpenKeyExW(
        hkey: HKEY,
        lpsubkey: *const u16,
        uloptions: u32,
        samdesired: u32,
        phkresult: *mut HKEY,
    ) -> LSTATUS;
    fn RegQueryValueExW(
        hkey: HKEY,
        lpvaluename: *const u16,
        lpreserved: *mut u32,
        lptype: *mut u32,
        lpdata: *mut u8,
        lpcbdata: *mut u32,
    ) -> LSTATUS;
    fn RegCloseKey(hkey: HKEY) -> LSTATUS;
}

pub mod enums {
    /// The predefined keys, as winreg names them (winreg.h's values).
    pub const HKEY_CLASSES_ROOT: super::HKEY = 0x8000_0000_u32 as i32 as super::HKEY;
    pub const HKEY_CURRENT_USER: super::HKEY = 0x8000_0001_u32 as i32 as super::HKEY;
    pub const HKEY_LOCAL_MACHINE: super::HKEY = 0x8000_0002_u32 as i32 as super::HKEY;
}

/// A raw registry value: its type (REG_*) and bytes.
pub struct RegValue {
    pub vtype: u32,
    pub bytes: Vec<u8>,
}

/// A value type that can be read from a registry value.
pub trait FromRegValue: Sized {
    fn from_reg_value(value: &RegValue) -> io::Result<Self>;
}

impl FromRegValue for u32 {
    fn from_reg_value(value: &RegValue) -> io::Result<u32> {
        match (value.vtype, value.bytes.get(..4)) {
            (REG_DWORD, Some(bytes)) => {
                Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            _ => Err(wrong_type()),
        }
    }
}

impl FromRegValue for String {
    fn from_reg_value(value: &RegValue) -> io::Result<String> {
        if value.vtype != REG_SZ && value.vtype != REG_EXPAND_SZ {
            return Err(wrong_type());
        }
        let units: Vec<u16> = value
            .bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .take_while(|&unit| unit != 0)
            .collect();
        String::from_utf16(&units).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "registry string is not valid UTF-16",
            )
        })
    }
}

fn wrong_type() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "registry value has another type",
    )
}

fn check(status: LSTATUS) -> io::Result<()> {
    if status == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(status))
    }
}

/// An open registry key; a key this crate opened is closed on drop.
pub struct RegKey {
    hkey: HKEY,
    owned: bool,
}

impl RegKey {
    /// One of the predefined keys (enums::HKEY_*), never closed.
    pub const fn predef(hkey: HKEY) -> RegKey {
        RegKey { hkey, owned: false }
    }

    /// Opens a subkey for reading.
    pub fn open_subkey<P: AsRef<OsStr>>(&self, path: P) -> io::Result<RegKey> {
        let path: Vec<u16> = path.as_ref().encode_wide().chain(Some(0)).collect();
        let mut hkey: HKEY = 0;
        check(unsafe { RegOpenKeyExW(self.hkey, path.as_ptr(), 0, KEY_READ, &mut hkey) })?;
        Ok(RegKey { hkey, owned: true })
    }

    /// Reads a value and converts it (u32 from REG_DWORD, String from REG_SZ / REG_EXPAND_SZ).
    pub fn get_value<T: FromRegValue, N: AsRef<OsStr>>(&self, name: N) -> io::Result<T> {
        T::from_reg_value(&self.get_raw_value(name)?)
    }

    /// Reads a value's type and bytes.
    pub fn get_raw_value<N: AsRef<OsStr>>(&self, name: N) -> io::Result<RegValue> {
        let name: Vec<u16> = name.as_ref().encode_wide().chain(Some(0)).collect();
        let mut bytes = vec![0u8; 256];
        loop {
            let mut vtype = 0u32;
            let mut size = bytes.len() as u32;
            let status = unsafe {
                RegQueryValueExW(
                    self.hkey,
                    name.as_ptr(),
                    ptr::null_mut(),
                    &mut vtype,
                    bytes.as_mut_ptr(),
                    &mut size,
                )
            };
            if status == ERROR_MORE_DATA {
                bytes.resize(size as usize, 0);
                continue;
            }
            check(status)?;
            bytes.truncate(size as usize);
            return Ok(RegValue { vtype, bytes });
        }
    }
}

impl Drop for RegKey {
    fn drop(&mut self) {
        if self.owned {
            unsafe { RegCloseKey(self.hkey) };
        }
    }
}
