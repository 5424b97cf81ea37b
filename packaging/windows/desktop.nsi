; The technician app for Windows: a per-user installer (no administrator rights) into
; %LOCALAPPDATA%\Programs\Lifeline with a Start menu entry and an uninstaller listed
; under "Installed apps". /S installs or uninstalls silently.
;
;   makensis -DDESKTOP=... -DLOADER=... -DICON=... -DVERSION=0.1.0 -DOUTFILE=... desktop.nsi

; 64-bit like the programs it carries (and runs where wine64 alone is installed).
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Lifeline"
!define UNINSTALLER "Uninstall Lifeline.exe"

Name "Lifeline"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Lifeline"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Lifeline"
VIAddVersionKey "FileDescription" "Lifeline setup"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "Lifeline contributors"

!include "MUI2.nsh"
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\lifeline-desktop.exe"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "German"

Section
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  File "/oname=lifeline-desktop.exe" "${DESKTOP}"
  File "/oname=WebView2Loader.dll" "${LOADER}"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"
  CreateShortcut "$SMPROGRAMS\Lifeline.lnk" "$INSTDIR\lifeline-desktop.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Lifeline"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Lifeline"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\lifeline-desktop.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$INSTDIR\lifeline-desktop.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Lifeline.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
