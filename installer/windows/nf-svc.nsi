; nf-svc setup for Windows (NSIS 3). Built by installer/windows/build, which passes:
;   /DVERSION=0.1.0  /DEXE=path\to\nf-svc.exe  /DCONSOLE=path\to\nf-svc-console.exe
;   /DOUTFILE=path\to\setup.exe  /DTOP=repo root
;
; What it does, and why each part is there:
; - Installs nf-svc.exe and its console twin nf-svc.com (cmd and PowerShell run it when the
;   user types `nf-svc`, so /d, /i, /u, export, report and --help print in order and set
;   %ERRORLEVEL%), the PNG toasts show, the README, the settings example and the licence, to
;   Program Files\nf-svc, with a Start Menu shortcut and an Add/Remove Programs entry.
; - "Collect while nobody is logged in (Windows service)", off by default (silent: /SERVICE),
;   runs `nf-svc /i`: the service nf-svc, settings and logs in %ProgramData%\nf-svc. An upgrade
;   stops an installed service before the files are replaced and starts it again after; the
;   uninstaller removes it (`nf-svc /u`; its settings and logs stay).
; - Adds an inbound Windows Firewall rule for nf-svc.exe on the UDP port(s) of the installing
;   user's settings (2055 when there are none yet), so the sensor's datagrams get through without
;   Windows asking for an administrator later. Running setup again refreshes the rule.
; - Start at login (checked by default) writes the same HKCU Run value the tray's "Start at
;   login" item writes, so the menu shows it checked.
; - Upgrade in place: a running nf-svc is asked to quit first, over its single-instance pipe
;   (the line "quit"), so it writes its partial summaries; it is started again afterwards.
;   Settings and logs live in the user's %APPDATA%\nf-svc and are never touched by setup.
; - The uninstaller removes the program, shortcut, firewall rule, Run value and the toast
;   identity, and asks before deleting settings and logs; silent (/S) it keeps them.
; Silent mode: `setup.exe /S` installs with start at login; `/NOAUTOSTART` leaves it off;
; `/SERVICE` also installs the Windows service.

Unicode true
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "pass /DVERSION=x.y.z"
!endif
!ifndef EXE
  !error "pass /DEXE=path\to\nf-svc.exe"
!endif
!ifndef CONSOLE
  !error "pass /DCONSOLE=path\to\nf-svc-console.exe"
!endif
!ifndef TOP
  !define TOP "..\.."
!endif
!ifndef OUTFILE
  !define OUTFILE "nf-svc-${VERSION}-setup.exe"
!endif

!define APP "nf-svc"
!define PUBLISHER "The nf-svc developers"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\nf-svc"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define APPROVED_KEY "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
; The same id src/os/windows.rs registers for toasts.
!define AUMID_KEY "Software\Classes\AppUserModelId\nf-svc.NetFlowCollector"
!define FW_RULE "nf-svc NetFlow/IPFIX (UDP in)"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"
!include "Sections.nsh"

Var Ports      ; the firewall rule's ports, from the user's settings
Var WasRunning ; nf-svc was running and was asked to quit: start it again at the end
Var ServiceWasRunning ; the Windows service was stopped for the upgrade: start it again

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
; Signing: installer/windows/build passes SIGN (the installer/windows/sign script) when a
; certificate is given; the uninstaller written into the setup is signed as NSIS makes it.
!ifdef SIGN
  !uninstfinalize '"${SIGN}" "%1"'
!endif
InstallDir "$PROGRAMFILES64\${APP}"
InstallDirRegKey HKLM "${UNINST_KEY}" "InstallLocation"
RequestExecutionLevel admin
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "FileDescription" "${APP} setup"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MIT licence"

!define MUI_ICON "${TOP}\assets\nf-svc.ico"
!define MUI_UNICON "${TOP}\assets\nf-svc.ico"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "nf-svc collects the NetFlow/IPFIX a sensor sends to this computer and tells you, in plain log files and notifications, who sent how much to whom, and when a device floods the network.$\r$\n$\r$\nIf nf-svc is running, setup closes it first (its summaries so far are written) and starts it again afterwards. Your settings and logs are kept.$\r$\n$\r$\nClick Next to continue."
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_TEXT "Start nf-svc now"
!define MUI_FINISHPAGE_RUN_FUNCTION LaunchAsUser
!define MUI_FINISHPAGE_TEXT "nf-svc sits in the notification area. Point your sensor's NetFlow/IPFIX export at this computer, UDP port $Ports.$\r$\n$\r$\nSettings and logs: $APPDATA\nf-svc"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "${TOP}\LICENSE"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; ---- helpers shared by setup and the uninstaller ----

; Ask the running nf-svc of this user to quit (it writes its partial summaries first) and wait
; until it has: its pipe disappears with the process. Sets $R9 to 1 if one was running.
!macro QUIT_RUNNING un
Function ${un}QuitRunning
  StrCpy $R9 0
  ReadEnvStr $R0 USERNAME
  StrCpy $R1 "\\.\pipe\nf-svc-$R0"
  ClearErrors
  FileOpen $R2 $R1 a
  ${If} ${Errors}
    Return
  ${EndIf}
  FileWrite $R2 "quit$\n"
  FileClose $R2
  StrCpy $R9 1
  DetailPrint "Asked the running nf-svc to quit (it writes its partial summaries)"
  ; Up to 30 s; gone once the pipe cannot be opened three times in a row.
  StrCpy $R3 0
  StrCpy $R4 0
  ${Do}
    Sleep 200
    IntOp $R3 $R3 + 1
    ClearErrors
    FileOpen $R2 $R1 r
    ${If} ${Errors}
      IntOp $R4 $R4 + 1
    ${Else}
      FileClose $R2
      StrCpy $R4 0
    ${EndIf}
    ${If} $R4 >= 3
    ${OrIf} $R3 >= 150
      ${ExitDo}
    ${EndIf}
  ${Loop}
  ${If} $R4 < 3
    DetailPrint "nf-svc did not quit in 30 s"
  ${EndIf}
  Sleep 500 ; the exe file is unlocked a moment after the pipe goes
FunctionEnd
!macroend
!insertmacro QUIT_RUNNING ""
!insertmacro QUIT_RUNNING "un."

; The [Settings] Port value of the user's settings, as netsh wants it ("2055,4739"), or 2055.
Function ReadPorts
  ReadINIStr $0 "$APPDATA\${APP}\nf-svc.ini" "Settings" "Port"
  StrCpy $1 ""  ; result
  StrCpy $2 0   ; index
  ${Do}
    StrCpy $3 $0 1 $2
    ${If} $3 == ""
    ${OrIf} $3 == ";"
    ${OrIf} $3 == "#"
      ${Break}
    ${EndIf}
    IntOp $2 $2 + 1
    ${If} $3 == " "
    ${OrIf} $3 == "$\t"
      ${Continue}
    ${EndIf}
    ${If} $3 == ","
    ${OrIf} $3 S>= "0"
    ${AndIf} $3 S<= "9"
      StrCpy $1 "$1$3"
    ${Else}
      StrCpy $1 ""
      ${Break}
    ${EndIf}
  ${Loop}
  ${If} $1 == ""
    StrCpy $1 "2055"
  ${EndIf}
  StrCpy $Ports $1
FunctionEnd

; Stop the Windows service nf-svc if it runs (it writes its partial summaries), so its exe can
; be replaced. Sets $ServiceWasRunning to 1 if it was running.
Function StopService
  StrCpy $ServiceWasRunning 0
  nsExec::ExecToStack 'sc query nf-svc'
  Pop $0
  Pop $1
  ${If} $0 == 0
    Push $1
    Push "RUNNING"
    Call StrContains
    Pop $2
    ${If} $2 == 1
      StrCpy $ServiceWasRunning 1
      DetailPrint "Stopping the Windows service nf-svc for the upgrade"
      nsExec::ExecToLog 'sc stop nf-svc'
      Pop $0
      ; Up to 30 s until it is stopped.
      StrCpy $3 0
      ${Do}
        Sleep 500
        IntOp $3 $3 + 1
        nsExec::ExecToStack 'sc query nf-svc'
        Pop $0
        Pop $1
        Push $1
        Push "STOPPED"
        Call StrContains
        Pop $2
        ${If} $2 == 1
        ${OrIf} $3 >= 60
          ${ExitDo}
        ${EndIf}
      ${Loop}
      Sleep 500
    ${EndIf}
  ${EndIf}
FunctionEnd

; 1 if the string below the top of the stack contains the top one, else 0.
Function StrContains
  Exch $R1 ; needle
  Exch
  Exch $R2 ; haystack
  Push $R3
  Push $R4
  Push $R5
  StrLen $R3 $R1
  StrCpy $R4 0
  StrCpy $R5 0
  ${Do}
    StrCpy $R0 $R2 $R3 $R4
    ${If} $R0 == ""
      ${ExitDo}
    ${EndIf}
    ${If} $R0 == $R1
      StrCpy $R5 1
      ${ExitDo}
    ${EndIf}
    IntOp $R4 $R4 + 1
  ${Loop}
  StrCpy $R0 $R5
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Push $R0
FunctionEnd

; Start nf-svc as the logged-in user, not elevated like setup: through Explorer.
Function LaunchAsUser
  Exec '"$WINDIR\explorer.exe" "$INSTDIR\nf-svc.exe"'
FunctionEnd

; ---- setup ----


Section "nf-svc (required)" SecMain
  SectionIn RO
  Call QuitRunning
  StrCpy $WasRunning $R9
  Call StopService
  SetOutPath "$INSTDIR"
  File "/oname=nf-svc.exe" "${EXE}"
  File "/oname=nf-svc.com" "${CONSOLE}"
  File "${TOP}\assets\nf-svc.png"
  File "${TOP}\README.md"
  File "${TOP}\nf-svc.ini.example"
  File "/oname=LICENSE.txt" "${TOP}\LICENSE"
  ; The README's links (user guide, bounds, performance, architecture) work offline.
  SetOutPath "$INSTDIR\docs"
  File "${TOP}\docs\*.md"
  SetOutPath "$INSTDIR"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  SetShellVarContext all
  CreateShortcut "$SMPROGRAMS\nf-svc.lnk" "$INSTDIR\nf-svc.exe" "" "$INSTDIR\nf-svc.exe" 0 \
    SW_SHOWNORMAL "" "NetFlow/IPFIX collector in the notification area"
  SetShellVarContext current

  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "nf-svc (NetFlow/IPFIX collector)"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" '"$INSTDIR\nf-svc.exe",0'
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" "$0"

  ; The firewall rule: replaced, so running setup again follows changed ports.
  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="${FW_RULE}"'
  Pop $0
  nsExec::ExecToLog 'netsh advfirewall firewall add rule name="${FW_RULE}" dir=in action=allow protocol=UDP localport=$Ports program="$INSTDIR\nf-svc.exe" enable=yes profile=any'
  Pop $0
  ${If} $0 != 0
    DetailPrint "Could not add the firewall rule (netsh: $0); Windows will ask when nf-svc first listens"
  ${Else}
    DetailPrint "Firewall: nf-svc.exe may receive UDP on port(s) $Ports"
  ${EndIf}
SectionEnd

Section /o "Collect while nobody is logged in (Windows service)" SecService
  ; nf-svc /i: creates and starts the service, or starts the installed one.
  nsExec::ExecToLog '"$INSTDIR\nf-svc.com" /i'
  Pop $0
  ${If} $0 != 0
    DetailPrint "Could not install the Windows service (nf-svc /i: $0)"
  ${EndIf}
  StrCpy $ServiceWasRunning 0
SectionEnd

Section "-Restart the service after an upgrade"
  ${If} $ServiceWasRunning == 1
    nsExec::ExecToLog 'sc start nf-svc'
    Pop $0
  ${EndIf}
SectionEnd

Section "Start nf-svc when I log in" SecAutostart
  ; What auto-launch writes for the tray's "Start at login" (the path quoted), and the Task
  ; Manager "enabled" mark, in case the user had disabled it there.
  WriteRegStr HKCU "${RUN_KEY}" "nf-svc" '"$INSTDIR\nf-svc.exe" '
  WriteRegBin HKCU "${APPROVED_KEY}" "nf-svc" 020000000000000000000000
SectionEnd

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "nf-svc needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext current
  StrCpy $WasRunning 0
  StrCpy $ServiceWasRunning 0
  Call ReadPorts
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/NOAUTOSTART" $1
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecAutostart}
  ${EndIf}
  ClearErrors
  ${GetOptions} $0 "/SERVICE" $1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecService}
  ${EndIf}
FunctionEnd

Function .onInstSuccess
  ; Silent upgrades put a running nf-svc back; interactive ones ask on the finish page.
  ${If} ${Silent}
  ${AndIf} $WasRunning == 1
    Call LaunchAsUser
  ${EndIf}
FunctionEnd

; ---- uninstaller ----

Function un.onInit
  SetRegView 64
  SetShellVarContext current
FunctionEnd

Section "Uninstall"
  Call un.QuitRunning
  ; The Windows service, if installed: stopped (partial summaries written) and removed; its
  ; settings and logs in %ProgramData%\nf-svc stay.
  ${If} ${FileExists} "$INSTDIR\nf-svc.com"
    nsExec::ExecToLog '"$INSTDIR\nf-svc.com" /u'
    Pop $0
  ${EndIf}
  Delete "$INSTDIR\nf-svc.exe"
  Delete "$INSTDIR\nf-svc.com"
  Delete "$INSTDIR\nf-svc.png"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\nf-svc.ini.example"
  Delete "$INSTDIR\LICENSE.txt"
  Delete "$INSTDIR\docs\*.md"
  RMDir "$INSTDIR\docs"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  SetShellVarContext all
  Delete "$SMPROGRAMS\nf-svc.lnk"
  SetShellVarContext current

  nsExec::ExecToLog 'netsh advfirewall firewall delete rule name="${FW_RULE}"'
  Pop $0
  DeleteRegValue HKCU "${RUN_KEY}" "nf-svc"
  DeleteRegValue HKCU "${APPROVED_KEY}" "nf-svc"
  DeleteRegKey HKCU "${AUMID_KEY}"
  DeleteRegKey HKLM "${UNINST_KEY}"

  ; Settings and logs are the user's: only on request, never when silent.
  ${If} ${FileExists} "$APPDATA\${APP}\*.*"
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 \
      "Also delete your nf-svc settings and logs?$\r$\n$\r$\n$APPDATA\${APP}" /SD IDNO IDNO keep
    ; A log folder set elsewhere in the settings: only nf-svc's own files are removed there.
    ReadINIStr $0 "$APPDATA\${APP}\nf-svc.ini" "Logs" "Dir"
    StrCpy $1 $0 1 1
    StrCpy $2 $0 2
    ${If} $1 == ":"
    ${OrIf} $2 == "\\"
      ${If} ${FileExists} "$0\nf-svc.log"
        Delete "$0\nf-svc*.log"
        Delete "$0\latest-summary.txt"
        RMDir "$0"
      ${EndIf}
    ${EndIf}
    RMDir /r "$APPDATA\${APP}"
    keep:
  ${EndIf}
SectionEnd
