/* patchaudit test fixture: the program part of a self-extracting patch executable.
 * Not Microsoft code and not an extractor: it shows one message box and exits. make-sfx.sh links
 * it with -nostdlib (imports from kernel32 and user32 only), then adds the cabinet as an RCDATA
 * resource (IExpress/WEXTRACT style) or appends it after the image (overlay). */
#include <windows.h>

static const char message[] =
    "This is a patchaudit test fixture, not a real patch.\r\n"
    "It extracts and installs nothing.";

void __stdcall WinMainCRTStartup(void)
{
    MessageBoxA(NULL, message, "patchaudit test fixture", MB_OK | MB_ICONINFORMATION);
    ExitProcess(0);
}
