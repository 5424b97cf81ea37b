; The end user's one-file Windows download for ad hoc and attended support: a per-user
; installer (no administrator rights) that carries lifeline-agent.exe and the
; WebView2Loader.dll it imports, installs both into the user's local app data and starts
; the agent with the download's own path, so that the agent reads the service and the
; session from the trailer the service appended to this file. The file's name does not
; matter: a browser's "...(1).exe" works the same.
;
; Run with /S it installs only (for a deployment tool or a test).
;
;   makensis -DAGENT=... -DLOADER=... -DICON=... -DVERSION=0.1.0 -DOUTFILE=... support-session.nsi

; 64-bit like the programs it carries (and runs where wine64 alone is installed).
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user

Name "Lifeline support session"
OutFile "${OUTFILE}"
Icon "${ICON}"
InstallDir "$LOCALAPPDATA\Lifeline support session"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Lifeline support session"
VIAddVersionKey "FileDescription" "Lifeline support session (starts the support session app)"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "Lifeline contributors"

Var InstallOnly

Function .onInit
  StrCpy $InstallOnly 0
  IfSilent 0 +2
    StrCpy $InstallOnly 1
  ; Nothing to ask: the app itself shows the session and asks for the code.
  SetSilent silent
FunctionEnd

Section
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; A copy from an earlier download may still run; its files are the same program.
  SetOverwrite try
  File "/oname=lifeline-agent.exe" "${AGENT}"
  File "/oname=WebView2Loader.dll" "${LOADER}"
  StrCmp $InstallOnly 1 done
  Exec '"$INSTDIR\lifeline-agent.exe" --installed --download "$EXEPATH"'
  done:
SectionEnd
