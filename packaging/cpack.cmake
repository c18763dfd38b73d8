# The Debian package (issue 21 item 1): `cmake --build BUILD --target package` writes
# BUILD/perfwatch_<version>_<arch>.deb with
#   /usr/bin/perfwatch                    the binary (with the front-end it embeds)
#   /etc/perfwatch/perfwatch.yml          the default configuration, a conffile
#   /lib/systemd/system/perfwatch.service the hardened unit
# and maintainer scripts (packaging/debian/) that create the perfwatch user and
# /var/lib/perfwatch on install and delete the data on purge only. docs/operations.md
# ("Installing as a service") describes the package; tests/package/deb_test.sh tests it.
#
# Included at the end of the top-level CMakeLists.txt, after the perfwatch target.
# Overridable: -DPERFWATCH_DEB_MAINTAINER="Name <mail>", -DPERFWATCH_HOMEPAGE=URL.

set(pw_pkg ${CMAKE_CURRENT_LIST_DIR})

# Install rules. The Debian paths are absolute on purpose (the package is for /usr, /etc
# and /lib/systemd whatever CMAKE_INSTALL_PREFIX says); CPackDeb installs absolute
# destinations into its staging directory itself (through DESTDIR), and the binary under
# CPACK_PACKAGING_INSTALL_PREFIX (/usr). `cmake --install` outside CPack writes to /etc.
install(TARGETS perfwatch RUNTIME DESTINATION bin)
install(FILES ${pw_pkg}/perfwatch.yml DESTINATION /etc/perfwatch
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${pw_pkg}/perfwatch.service DESTINATION /lib/systemd/system
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

set(PERFWATCH_DEB_MAINTAINER "perfwatch maintainers <maintainers@perfwatch.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(PERFWATCH_HOMEPAGE "https://github.com/perfwatch/perfwatch"
    CACHE STRING "Homepage field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME perfwatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "perfwatch")
set(CPACK_PACKAGE_CONTACT "${PERFWATCH_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "self-hosted web performance monitoring and alerting server")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the RelWithDebInfo binary carries debug information
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})

set(CPACK_DEBIAN_PACKAGE_NAME perfwatch)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # perfwatch_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
# CPACK_DEBIAN_PACKAGE_ARCHITECTURE is left unset: CPackDeb asks `dpkg --print-architecture`.
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PERFWATCH_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PERFWATCH_HOMEPAGE}")
# The first line of Description is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the rest.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "perfwatch collects what real users experience in the browser (Core Web Vitals,
navigation and resource timing, long tasks, errors) and what backends do
(Prometheus remote write, scraping, OpenTelemetry), stores it durably and answers
PromQL and exact-percentile queries. It evaluates alerting rules, routes
notifications as Alertmanager does, runs synthetic checks and serves its dashboard
from the same binary.
.
This package runs it as the systemd service perfwatch.service, as the perfwatch
user, with its data in /var/lib/perfwatch and its configuration in
/etc/perfwatch/perfwatch.yml.")
# Library dependencies from dpkg-shlibdeps (libc6, libstdc++6, libssl3, libre2-9, ...),
# plus what the maintainer scripts use. Chromium only for browser checks.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "chromium")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${pw_pkg}/debian/conffiles ${pw_pkg}/debian/postinst ${pw_pkg}/debian/prerm ${pw_pkg}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
