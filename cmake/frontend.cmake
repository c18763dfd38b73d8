# Front-end files embedded in the binary: the browser SDK (sdk/browser -> GET /rum.js)
# and the dashboard (web/ -> GET /). Defines the pw_frontend library (src/frontend/).
#
# With PERFWATCH_FRONTEND=ON (default) the build runs `npm ci` in sdk/browser when its
# node_modules is missing or older than package-lock.json, then `npm run build` and
# `npm run size` (fails over the 5120-byte gzip budget) whenever the SDK sources change,
# and compiles dist/rum.js into the binary. With OFF nothing is embedded, npm is never
# run, and FindAsset() returns null.
#
# What gets embedded is listed in pw_embed_files ("URL-path|file") and pw_embed_dirs
# ("URL-prefix|directory", every file below it, read at build time); pw_embed_deps are
# the build-time inputs. The dashboard is built the same way: `npm ci` and `npm run build`
# in web/ (Vite) whenever its sources change, and web/dist embedded whole.
#
# @perfwatch/react (sdk/react) is not embedded, but its size budget (3 KB gzipped on top of
# the browser SDK, issue 20) is checked by the build: `npm ci` there when its node_modules
# is older than its lock, then `npm run build` (bundle, types, scripts/size.mjs, which fails
# over budget) whenever its sources or the browser SDK's npm build change (it links
# ../browser), as part of ALL (target pw_react_sdk).

set(pw_embed_files "")
set(pw_embed_dirs "")
set(pw_embed_deps "")

if(PERFWATCH_FRONTEND)
  find_program(PERFWATCH_NPM npm)
  if(NOT PERFWATCH_NPM)
    message(FATAL_ERROR "PERFWATCH_FRONTEND=ON needs npm (Node.js 20+): install it, "
                        "or configure with -DPERFWATCH_FRONTEND=OFF for a binary without /rum.js and the dashboard")
  endif()

  # --- browser SDK -> /rum.js
  set(pw_sdk ${CMAKE_CURRENT_SOURCE_DIR}/sdk/browser)
  file(GLOB_RECURSE pw_sdk_srcs CONFIGURE_DEPENDS ${pw_sdk}/src/*.ts)
  # npm writes node_modules/.package-lock.json on every install: it stamps the install.
  add_custom_command(
    OUTPUT ${pw_sdk}/node_modules/.package-lock.json
    COMMAND ${PERFWATCH_NPM} ci --no-audit --no-fund --loglevel=error
    WORKING_DIRECTORY ${pw_sdk}
    DEPENDS ${pw_sdk}/package-lock.json
    COMMENT "npm ci in sdk/browser"
    VERBATIM)
  add_custom_command(
    OUTPUT ${pw_sdk}/dist/rum.js ${pw_sdk}/dist/rum-trace.js ${pw_sdk}/dist/rum.full.js ${pw_sdk}/dist/index.js
    COMMAND ${PERFWATCH_NPM} run --silent build
    COMMAND ${PERFWATCH_NPM} run --silent size
    WORKING_DIRECTORY ${pw_sdk}
    DEPENDS ${pw_sdk_srcs} ${pw_sdk}/package.json ${pw_sdk}/scripts/build.mjs ${pw_sdk}/scripts/size.mjs
            ${pw_sdk}/node_modules/.package-lock.json
    COMMENT "Building the browser SDK (sdk/browser/dist/rum.js)"
    VERBATIM)
  list(APPEND pw_embed_files "/rum.js|${pw_sdk}/dist/rum.js" "/rum-trace.js|${pw_sdk}/dist/rum-trace.js"
       "/rum.full.js|${pw_sdk}/dist/rum.full.js")
  list(APPEND pw_embed_deps ${pw_sdk}/dist/rum.js ${pw_sdk}/dist/rum-trace.js ${pw_sdk}/dist/rum.full.js)

  # --- @perfwatch/react (sdk/react): built and size-checked, not embedded
  set(pw_react ${CMAKE_CURRENT_SOURCE_DIR}/sdk/react)
  file(GLOB_RECURSE pw_react_srcs CONFIGURE_DEPENDS ${pw_react}/src/*.ts ${pw_react}/src/*.tsx)
  add_custom_command(
    OUTPUT ${pw_react}/node_modules/.package-lock.json
    COMMAND ${PERFWATCH_NPM} ci --no-audit --no-fund --loglevel=error
    WORKING_DIRECTORY ${pw_react}
    DEPENDS ${pw_react}/package-lock.json
    COMMENT "npm ci in sdk/react"
    VERBATIM)
  # `npm run build`: dist/index.js, dist/*.d.ts (tsc), then scripts/size.mjs (exit 1 over
  # 3072 bytes). It bundles ../browser's dist/index.js for the size check.
  add_custom_command(
    OUTPUT ${pw_react}/dist/index.js
    COMMAND ${PERFWATCH_NPM} run --silent build
    WORKING_DIRECTORY ${pw_react}
    DEPENDS ${pw_react_srcs} ${pw_react}/package.json ${pw_react}/tsconfig.json ${pw_react}/scripts/build.mjs
            ${pw_react}/scripts/size.mjs ${pw_react}/node_modules/.package-lock.json ${pw_sdk}/dist/index.js
    COMMENT "Building @perfwatch/react and checking its size (sdk/react/dist)"
    VERBATIM)
  add_custom_target(pw_react_sdk ALL DEPENDS ${pw_react}/dist/index.js)

  # --- dashboard (web/, Vite) -> /, /vitals, ... and /assets/*
  set(pw_web ${CMAKE_CURRENT_SOURCE_DIR}/web)
  file(GLOB_RECURSE pw_web_srcs CONFIGURE_DEPENDS ${pw_web}/src/*)
  add_custom_command(
    OUTPUT ${pw_web}/node_modules/.package-lock.json
    COMMAND ${PERFWATCH_NPM} ci --no-audit --no-fund --loglevel=error
    WORKING_DIRECTORY ${pw_web}
    DEPENDS ${pw_web}/package-lock.json
    COMMENT "npm ci in web"
    VERBATIM)
  # `npm run build` type-checks, bundles into web/dist and fails over the 150 KB budget.
  add_custom_command(
    OUTPUT ${pw_web}/dist/index.html
    COMMAND ${PERFWATCH_NPM} run --silent build
    WORKING_DIRECTORY ${pw_web}
    DEPENDS ${pw_web_srcs} ${pw_web}/index.html ${pw_web}/package.json ${pw_web}/vite.config.ts
            ${pw_web}/tsconfig.json ${pw_web}/scripts/size.mjs ${pw_web}/node_modules/.package-lock.json
    COMMENT "Building the dashboard (web/dist)"
    VERBATIM)
  list(APPEND pw_embed_dirs "/|${pw_web}/dist")
  list(APPEND pw_embed_deps ${pw_web}/dist/index.html)
endif()

set(pw_frontend_dir ${CMAKE_CURRENT_BINARY_DIR}/generated/frontend)
set(pw_embed_manifest ${pw_frontend_dir}/embed_manifest.cmake)
set(pw_embed_source ${pw_frontend_dir}/embedded_assets.cc)
file(CONFIGURE OUTPUT ${pw_embed_manifest} CONTENT
     "set(EMBED_FILES \"${pw_embed_files}\")\nset(EMBED_DIRS \"${pw_embed_dirs}\")\n" @ONLY)
add_custom_command(
  OUTPUT ${pw_embed_source}
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${pw_embed_manifest} -DOUTPUT=${pw_embed_source}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake ${pw_embed_manifest} ${pw_embed_deps}
  COMMENT "Embedding front-end assets"
  VERBATIM)

add_library(pw_frontend STATIC ${CMAKE_CURRENT_SOURCE_DIR}/src/frontend/assets.cc ${pw_embed_source})
target_include_directories(pw_frontend PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
