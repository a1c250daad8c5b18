// Web permissions (camera, notifications, clipboard-read, geolocation, HID, serial, …). The wallet needs none of
// them, so every request and every check is refused, whatever the permission or origin.

export function allowPermissionRequest(_permission: string, _requestingUrl?: string): boolean {
  return false;
}

export function allowPermissionCheck(_permission: string, _requestingOrigin?: string): boolean {
  return false;
}

export function allowDevicePermission(_deviceType: string, _origin?: string): boolean {
  return false;
}
